import pytest


@pytest.fixture
def make_mailbox(db):
    from kefu.accounts.models import Team
    from kefu.channels.models import Mailbox
    from kefu.tickets.models import Category

    def factory(**fields):
        team = Team.objects.create(name=f"Mail team {Mailbox.objects.count()}")
        category, _ = Category.objects.get_or_create(name="Email", parent=None)
        defaults = dict(
            name=f"support-{Mailbox.objects.count()}",
            address="support@kefu.example",
            imap_host="127.0.0.1",
            imap_port=993,
            imap_user="support",
            password_env="KEFU_TEST_IMAP_PASSWORD",
            team=team,
            category=category,
        )
        defaults.update(fields)
        return Mailbox.objects.create(**defaults)

    return factory


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a loopback port; `messages` holds what it received."""

    def __init__(self, port: int | None = None):
        from aiosmtpd.controller import Controller

        self.port = port or free_port()
        self.messages: list = []
        server = self

        class Handler:
            async def handle_DATA(self, smtp, session, envelope):
                server.messages.append(envelope)
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()


@pytest.fixture
def smtp_settings(settings, tmp_path):
    """Django's real SMTP backend pointed at a loopback port (nothing listens yet)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings


@pytest.fixture
def smtp_server(smtp_settings):
    server = SmtpServer(smtp_settings.EMAIL_PORT).start()
    yield server
    server.stop()
