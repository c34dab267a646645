"""Serving the platform safely: the profile bin/start runs (gunicorn, settings_local), security
headers on every page, uploaded files only through access-checked views, the login lockout's
client address, odd static paths and the first request after the database dropped a connection."""

from __future__ import annotations

import http.cookiejar
import importlib
import json
import os
import re
import secrets
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.test import Client, RequestFactory
from django.urls import clear_url_caches, reverse

from tests.factories import PASSWORD
from tests.reductions.conftest import MINIMAL_PDF, ready_project
from tests.xlsx_helpers import response_bytes
from totalquota.accounts.services import token_issue
from totalquota.common.security import client_ip, permissions_policy_header
from totalquota.keyfiles import ensure_key_file, read_key_file

ROOT = Path(__file__).resolve().parents[1]
PYTHON = Path(sys.executable)
GUNICORN = PYTHON.with_name("gunicorn")
ODD_STATIC_PATHS = [
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e/%2e%2e/var/secret_key",
    "/static/%00",
    "/static/css/app.css%00.txt",
    "/static/%ff",
    "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
]


# --- headers ------------------------------------------------------------------------------------
def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def assert_page_runs_under_the_policy(response) -> None:
    """The policy allows no inline code: every inline script is data (``application/json``) or
    carries this response's nonce; no element has an event-handler or a style attribute."""
    directives = csp_directives(response)
    assert all("'unsafe-inline'" not in v and "'unsafe-eval'" not in v for v in directives.values())
    assert directives["script-src"][0] == "'self'" and directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    nonces = [s.removeprefix("'nonce-").removesuffix("'") for s in directives["script-src"] if "nonce-" in s]
    page = response.content.decode()
    for attributes in INLINE_SCRIPT.findall(page):
        if 'type="application/json"' in attributes:
            continue
        found = re.search(r'nonce="([^"]+)"', attributes)
        assert found and found.group(1) in nonces, f"inline script without the response's nonce: {attributes}"
    assert not EVENT_HANDLER.search(page), EVENT_HANDLER.search(page)
    assert not STYLE_ATTRIBUTE.search(page), STYLE_ATTRIBUTE.search(page)


@pytest.mark.django_db
def test_every_page_sends_a_policy_without_inline_code_and_a_permissions_policy(client, world, today):
    login = client.get(reverse("accounts:login"))
    assert login.status_code == 200
    assert_page_runs_under_the_policy(login)
    client.force_login(world.officer)
    project = ready_project(world, today)
    pages = [
        reverse("home"),
        reverse("ledger:overview"),
        reverse("registry:enterprise_list"),
        reverse("reductions:project_detail", args=[project.pk]),
        reverse("reductions:line_edit", args=[project.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_page_runs_under_the_policy(response)
        policy = response["Permissions-Policy"]
        assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy
    # An error page too.
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    assert_page_runs_under_the_policy(missing)


@pytest.mark.django_db
def test_an_inline_script_carries_the_nonce_the_header_names(world):
    """The one way an inline script may run: the request's nonce, as ``{{ CSP_NONCE }}``."""
    from csp.middleware import CSPMiddleware

    template = engines["django"].from_string('<script nonce="{{ CSP_NONCE }}">window.x = 1;</script>')

    def view(request):
        return HttpResponse(template.render({}, request))

    request = RequestFactory().get("/")
    request.user = world.officer
    response = CSPMiddleware(view)(request)
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in csp_directives(response)["script-src"]
    assert_page_runs_under_the_policy(response)
    # A page that uses no nonce does not announce one.
    plain = CSPMiddleware(lambda request: HttpResponse("<p>ok</p>"))(RequestFactory().get("/"))
    assert "nonce-" not in plain["Content-Security-Policy"]


def test_the_permissions_policy_header_is_written_in_the_standard_form():
    assert permissions_policy_header({"camera": [], "fullscreen": ["self", "https://a.example"]}) == (
        'camera=(), fullscreen=(self "https://a.example")'
    )


# --- uploaded files -----------------------------------------------------------------------------
@pytest.fixture
def dev_urlconf(settings):
    """The URL configuration as ``bin/start --dev`` builds it (DEBUG on when urls.py is imported)."""
    import totalquota.urls

    settings.DEBUG = True
    importlib.reload(totalquota.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(totalquota.urls)
    clear_url_caches()


@pytest.mark.django_db
def test_evidence_is_sent_only_by_the_access_checked_views(client, world, today, settings, dev_urlconf):
    project = ready_project(world, today)
    evidence = project.evidence.get(kind="acceptance")
    assert (Path(settings.MEDIA_ROOT) / evidence.file.name).read_bytes() == MINIMAL_PDF
    by_storage = f"/{settings.MEDIA_URL}{evidence.file.name}"  # /media/reductions/evidence/…/<sha256>
    page = reverse("reductions:evidence_download", args=[evidence.pk])
    api = f"/api/v1/reductions/evidence/{evidence.pk}/file"

    # No one, not even the owner, gets the file by its storage path (even with DEBUG on).
    assert client.get(by_storage).status_code == 404
    anonymous = client.get(page)
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    assert client.get(api).status_code == 401

    client.force_login(world.other_officer)  # zone B: the project is in zone A
    assert client.get(page).status_code == 404
    assert client.get(by_storage).status_code == 404
    client.logout()
    _token, other_zone = token_issue(
        actor=world.admin.principal, name="B区", client=world.client, zone=world.zone_b
    )
    assert client.get(api, HTTP_AUTHORIZATION=f"Bearer {other_zone}").status_code == 404

    client.force_login(world.company_user)  # the enterprise whose project it is
    owner = client.get(page)
    assert owner.status_code == 200 and response_bytes(owner) == MINIMAL_PDF
    assert client.get(by_storage).status_code == 404
    client.logout()
    _token, zone_a = token_issue(
        actor=world.admin.principal, name="A区", client=world.client, zone=world.zone_a
    )
    by_api = client.get(api, HTTP_AUTHORIZATION=f"Bearer {zone_a}")
    assert by_api.status_code == 200 and response_bytes(by_api) == MINIMAL_PDF


# --- static files -------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("path", ODD_STATIC_PATHS)
def test_percent_encoded_static_paths_are_refused_not_failed(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404), (path, response.status_code)
    assert b"root:" not in response_bytes(response)


@pytest.mark.django_db
def test_static_files_are_served_by_the_application(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and b".num" in response_bytes(response)


# --- login lockout behind a proxy ---------------------------------------------------------------
def fail_logins(client, username: str, times: int, **meta) -> None:
    for _ in range(times):
        response = client.post(reverse("accounts:login"), {"username": username, "password": "wrong"}, **meta)
        assert response.status_code in (200, 429)


def logs_in(username: str, **meta) -> bool:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD}, **meta)
    return response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_address_is_locked_on_its_own(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the reverse proxy
    fail_logins(client, "officer_a", 5, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert not logs_in("officer_a", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    # The same person from another address is not locked out by someone else's failures.
    assert logs_in("officer_a", HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy)
    # Addresses the caller wrote to the left of the one the proxy saw change nothing.
    assert not logs_in("officer_a", HTTP_X_FORWARDED_FOR="198.51.100.20, 203.0.113.7", **proxy)


@pytest.mark.django_db
def test_without_a_trusted_proxy_a_forged_forwarded_header_is_ignored(client, world, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):  # a new forged address on every attempt does not reset the count
        fail_logins(client, "officer_a", 1, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}", REMOTE_ADDR="192.0.2.5")
    assert not logs_in("officer_a", HTTP_X_FORWARDED_FOR="198.51.100.1", REMOTE_ADDR="192.0.2.5")
    assert logs_in("officer_a", REMOTE_ADDR="192.0.2.6")


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.2"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        (2, "1.2.3.4, 203.0.113.7, 10.0.0.1", "203.0.113.7"),
        (2, "203.0.113.7", "10.0.0.2"),  # fewer entries than proxies: not through the proxies
        (1, "", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_counts_trusted_hops_from_the_right(settings, hops, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


# --- profiles -----------------------------------------------------------------------------------
def settings_of(module: str, tmp_path: Path, **env: str) -> dict:
    script = (
        "import json, django; from django.conf import settings; django.setup(); print(json.dumps({"
        "'debug': settings.DEBUG, 'secret': settings.SECRET_KEY, 'hops': settings.TRUSTED_PROXY_COUNT,"
        "'middleware': settings.MIDDLEWARE, 'static': settings.STORAGES['staticfiles']['BACKEND'],"
        "'session_secure': settings.SESSION_COOKIE_SECURE, 'csrf_secure': settings.CSRF_COOKIE_SECURE,"
        "'ssl_redirect': settings.SECURE_SSL_REDIRECT, 'hosts': settings.ALLOWED_HOSTS,"
        "'health': settings.DATABASES['default'].get('CONN_HEALTH_CHECKS')}))"
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TRUSTED_"))}
    full_env.update(
        DJANGO_SETTINGS_MODULE=module, PYTHONPATH=str(ROOT / "src"), TOTALQUOTA_VAR_DIR=str(tmp_path)
    )
    full_env.update(env)
    done = subprocess.run(
        [str(PYTHON), "-c", script], env=full_env, capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    if done.returncode:
        return {"error": done.stderr}
    return json.loads(done.stdout)


def test_the_local_profile_is_safe_whatever_the_environment_says(tmp_path):
    local = settings_of("totalquota.settings_local", tmp_path, DJANGO_DEBUG="1", TRUSTED_PROXY_COUNT="3")
    assert local["debug"] is False and local["ssl_redirect"] is False
    assert local["session_secure"] is False and local["csrf_secure"] is False  # http://127.0.0.1
    assert local["hops"] == 0
    assert set(local["hosts"]) == {"127.0.0.1", "localhost", "[::1]"}
    assert local["secret"] == read_key_file(tmp_path / "secret_key")
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert "csp.middleware.CSPMiddleware" in local["middleware"]
    assert local["static"] == "totalquota.staticstorage.StaticStorage"
    again = settings_of("totalquota.settings_local", tmp_path)
    assert again["secret"] == local["secret"]  # generated once, kept


def test_the_production_profile_takes_trusted_hops_from_the_environment_and_refuses_the_dev_key(tmp_path):
    from totalquota.settings import DEV_SECRET_KEY

    base = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ALLOWED_HOSTS": "quota.example.gov.cn"}
    production = settings_of("totalquota.settings_production", tmp_path, TRUSTED_PROXY_COUNT="1", **base)
    assert production["debug"] is False and production["hops"] == 1
    assert production["session_secure"] and production["csrf_secure"] and production["ssl_redirect"]
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in production["middleware"]
    assert "csp.middleware.CSPMiddleware" in production["middleware"]
    assert production["static"] == "totalquota.staticstorage.StaticStorage"
    assert settings_of("totalquota.settings_production", tmp_path, **base)["hops"] == 0
    refused = settings_of(
        "totalquota.settings_production", tmp_path, DJANGO_SECRET_KEY=DEV_SECRET_KEY, DJANGO_ALLOWED_HOSTS="q"
    )
    assert "development key" in refused["error"]
    postgres = settings_of(
        "totalquota.settings_production", tmp_path, DATABASE_URL="postgres://u@127.0.0.1:5432/x", **base
    )
    assert postgres["health"] is True


def test_a_key_file_is_made_once_readable_by_its_owner_only_and_refused_when_others_can_read(tmp_path):
    path = tmp_path / "keys" / "secret_key"
    key = ensure_key_file(path)
    assert len(key) >= 50 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_key_file(path) == key
    path.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        ensure_key_file(path)


# --- the platform as bin/start serves it --------------------------------------------------------
class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:  # refused while booting, or a timeout on a busy machine
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.3)


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def test_the_development_server_leaves_odd_static_paths_to_whitenoise(tmp_path):
    """``bin/start --dev`` runs ``manage.py runserver``; its static handler once answered 500 for a
    percent-encoded ``../`` under /static/."""
    address = f"127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="totalquota.settings", DJANGO_DEBUG="1", TOTALQUOTA_VAR_DIR=str(tmp_path)
    )
    server = subprocess.Popen(
        [str(PYTHON), "manage.py", "runserver", "--noreload", "--skip-checks", address],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_up(f"http://{address}/static/css/app.css", server)
        for path in ODD_STATIC_PATHS:
            status = http_status(f"http://{address}{path}")
            assert status in (400, 404), (path, status)
    finally:
        stop(server)


@pytest.fixture
def served(tmp_path):
    """gunicorn with bin/start's settings (settings_local, gunicorn_conf.py) on a free loopback
    port, against a fresh SQLite database in a temporary data folder; stopped at the end."""
    var = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "TRUSTED_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="totalquota.settings_local",
        TOTALQUOTA_VAR_DIR=str(var),
        PYTHONPATH=str(ROOT / "src"),
        WEB_WORKERS="1",
        WEB_THREADS="2",
    )

    def run(*args: str) -> None:
        subprocess.run(args, env=env, cwd=ROOT, check=True, timeout=180, capture_output=True)

    # The steps of bin/start, without the demo park.
    run(str(PYTHON), "-m", "totalquota.keyfiles", str(var / "secret_key"))
    run(str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0")
    run(
        str(PYTHON),
        "manage.py",
        "shell",
        "-c",
        "from totalquota.accounts.models import User; "
        f"User.objects.create_user(username='served', password='{PASSWORD}', role='admin')",
    )
    run(str(PYTHON), "manage.py", "collectstatic", "--noinput", "-v", "0")
    address = f"127.0.0.1:{free_port()}"
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(GUNICORN), "--config", str(ROOT / "src/totalquota/gunicorn_conf.py"), "--bind", address],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://{address}"
    try:
        try:
            wait_until_up(base + "/accounts/login/", server)
        except RuntimeError:
            raise RuntimeError((tmp_path / "gunicorn.log").read_text()) from None
        yield base, var
    finally:
        stop(server)
        log.close()


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs its own SQLite platform; once per suite is enough"
)
def test_bin_start_serves_with_debug_off_static_files_headers_and_no_public_uploads(served):
    base, var = served
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirects)

    def get(path: str, data: bytes | None = None):
        try:
            return browser.open(urllib.request.Request(base + path, data=data), timeout=10)
        except urllib.error.HTTPError as error:
            return error

    login = get("/accounts/login/")
    page = login.read().decode()
    assert login.status == 200
    assert "'unsafe-inline'" not in login.headers["Content-Security-Policy"]
    assert "camera=()" in login.headers["Permissions-Policy"]
    csrf_cookie = login.headers["Set-Cookie"]
    assert "csrftoken=" in csrf_cookie and "secure" not in csrf_cookie.lower()  # usable over http

    # Static files by the application, under hashed names cached for good.
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page).group(1)
    static = get(stylesheet)
    assert static.status == 200 and b".num" in static.read()
    cache = static.headers["Cache-Control"]
    assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache).group(1)) >= 31_536_000

    # DEBUG is off: an unknown address is the platform's own 404 page, no settings, no URL list.
    missing = get("/no/such/page/")
    body = missing.read().decode()
    assert missing.status == 404
    assert "SECRET_KEY" not in body and "urlpatterns" not in body and "DEBUG" not in body
    broken = get("/accounts/login/%ff%00")
    assert broken.status in (400, 404)

    for path in ODD_STATIC_PATHS:
        odd = get(path)
        assert odd.status in (400, 404), (path, odd.status)
        assert b"root:" not in odd.read()

    # An uploaded file where the storage keeps it, by the digest the API shows: not served.
    digest = "ab" * 32
    stored = var / "media" / "reductions" / "evidence" / digest[:2] / digest
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(MINIMAL_PDF)
    exposed = get(f"/media/reductions/evidence/{digest[:2]}/{digest}")
    assert exposed.status == 404 and MINIMAL_PDF not in exposed.read()
    anonymous = get("/reductions/evidence/1/")
    assert anonymous.status == 302 and "/accounts/login/" in anonymous.headers["Location"]

    # Signing in works over plain http on the loopback address; the session cookie is HttpOnly.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = f"csrfmiddlewaretoken={token}&username=served&password={PASSWORD}".encode()
    signed_in = get("/accounts/login/", form)
    assert signed_in.status == 302, signed_in.read()[:500]
    session = next(c for c in signed_in.headers.get_all("Set-Cookie") if c.startswith("sessionid="))
    assert "HttpOnly" in session and "secure" not in session.lower()
    home = get("/")
    assert home.status == 200 and "'unsafe-inline'" not in home.headers["Content-Security-Policy"]


# --- database connections -----------------------------------------------------------------------
def wsgi_get(path: str, cookie: str) -> int:
    """One request through the WSGI application gunicorn runs, with its request signals (the test
    client leaves out the connection housekeeping that runs at the start of each request)."""
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD="GET", HTTP_COOKIE=cookie)
    status: list[str] = []
    response = WSGIHandler()(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        b"".join(response)
    finally:
        response.close()
    return int(status[0].split()[0])


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_first_request_after_the_server_dropped_the_connection_succeeds(world):
    if connection.vendor != "postgresql":
        pytest.skip("terminates a PostgreSQL backend")
    import psycopg

    client = Client()
    client.force_login(world.officer)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    assert wsgi_get("/", cookie) == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    assert connection.connection is not None  # kept for the next request (CONN_MAX_AGE)

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(50):  # the backend is gone once pg_stat_activity no longer lists it
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                break
            time.sleep(0.1)

    assert wsgi_get("/", cookie) == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
