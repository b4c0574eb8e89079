#!/usr/bin/env python
from kefu.cli import main

if __name__ == "__main__":
    main()
