"""Contact-center workforce: queues, staffing, forecasting and simulation (METHODS M28, M31–M35).

Pure modules (no Django import; numpy/polars in, numpy/polars out):

- ``erlang``: Erlang B/C probability of waiting, service level, ASA, occupancy, required agents,
  schedule requirement with shrinkage.
- ``erlang_a``: Erlang A (M/M/N+M) with exponential patience: waiting and abandonment
  probabilities, service level, ASA, required agents.
- ``forecast``: volume per interval (weekly × intraday profile or Holt–Winters), holdout MAPE/WAPE.
- ``scenario`` and ``simulation``: discrete-event simulation of multi-skill queues with
  abandonment, surges, overflow, shifts and emergency plans; replications with confidence intervals.
- ``build_options``: self-built vs outsourced vs hosted cost, weighted decision matrix.
- ``routing``: which agent gets a contact (round robin, least loaded, longest idle, skill
  based, tier aware), with the reason.
- ``planning`` and ``simulation_runner``: the pipelines behind the pages and API (batch
  staffing tables, forecast → schedule requirement → heat maps, replicated runs as JSON).

The Django side (models, services, selectors, views, API) is in the sibling modules.

The package itself imports nothing heavy, so the Django app can load it cheaply.
"""
