"""DEP-05: the example reverse-proxy config (deploy/nginx.conf) is valid nginx and keeps the proxy contract;
DATA-09: run for real, none of its logs shows a bearer token.

`nginx -t` runs on a copy whose certificate and log paths point into a temporary directory (a throw-away
self-signed certificate), included in a minimal main config as the deployment notes say. CI installs nginx.
"""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from family_portal.redaction import TOKEN_PATH_PREFIXES
from tests.support.procs import Child, DeadlineExceeded, ProcessRegistry

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal.example.org")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)")
def test_example_config_passes_nginx_t(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    site = CONFIG.read_text()
    site = site.replace("/etc/letsencrypt/live/portal.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/portal.example.org/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(
        [str(NGINX), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_proxy_headers_are_overwritten_not_appended() -> None:
    """Django, allauth and Twilio's signature all rely on nginx replacing what a client sent."""
    config = CONFIG.read_text()
    assert re.search(r"proxy_set_header\s+X-Forwarded-For\s+\$remote_addr;", config)
    assert "$proxy_add_x_forwarded_for" not in config
    assert re.search(r"proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;", config)
    assert re.search(r"proxy_set_header\s+Upgrade\s+\$http_upgrade;", config)
    assert re.search(r"proxy_set_header\s+Connection\s+\$connection_upgrade;", config)


# --- DATA-09: the shipped log format never shows a bearer token --------------------------------------------------
MAP_PREFIXES = re.compile(r'map \$uri \$portal_log_uri \{[^}]*"~\^\(([^)]*)\)\."', re.DOTALL)
TOKEN = "SeCrEt-t0ken_Q7w3Z9"


def test_log_map_redacts_exactly_the_portal_token_prefixes() -> None:
    """nginx's map and family_portal/redaction.py list the same token-bearing prefixes."""
    config = CONFIG.read_text()
    match = MAP_PREFIXES.search(config)
    assert match, "deploy/nginx.conf must map $uri to $portal_log_uri"
    assert tuple(match.group(1).split("|")) == TOKEN_PATH_PREFIXES
    log_format = re.search(r"^log_format portal ([^;]*);", config, re.MULTILINE)
    assert log_format, "deploy/nginx.conf must define the portal log format"
    assert "$portal_log_uri" in log_format.group(1)
    assert not re.search(r"\$(request|request_uri|uri|args|query_string|http_referer)\b", log_format.group(1))


def test_every_server_logs_with_the_redacting_format() -> None:
    """A server without its own access_log would write the distribution's format: the full request line."""
    servers = re.findall(r"^server \{.*?^\}", CONFIG.read_text(), re.MULTILINE | re.DOTALL)
    assert len(servers) == 3
    for server in servers:
        assert re.search(r"^\s+access_log \S+ portal;", server, re.MULTILINE), server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _test_site(tmp_path: Path, tls_port: int, plain_port: int, upstream_port: int) -> str:
    """deploy/nginx.conf on loopback test ports, a dead upstream (so nginx's error path runs), files in tmp."""
    cert, key = _self_signed(tmp_path)
    site = CONFIG.read_text()
    site = site.replace("/etc/letsencrypt/live/portal.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/portal.example.org/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
    site = re.sub(r"^\s*listen \[::\]:\d+[^;]*;\n", "", site, flags=re.MULTILINE)
    ports = {"443": tls_port, "80": plain_port}
    site, count = re.subn(r"listen (443|80)\b", lambda m: f"listen 127.0.0.1:{ports[m.group(1)]}", site)
    assert count == 4, site
    return site


def _start_nginx(procs: ProcessRegistry, tmp_path: Path) -> tuple[Child, int, int]:
    """nginx in the foreground, one process, on free loopback ports (nginx cannot bind port 0: pick, retry)."""
    for _attempt in range(5):
        tls_port, plain_port, upstream_port = _free_port(), _free_port(), _free_port()
        (tmp_path / "site.conf").write_text(_test_site(tmp_path, tls_port, plain_port, upstream_port))
        temp_paths = "".join(
            f"  {kind}_temp_path {tmp_path}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (tmp_path / "nginx.conf").write_text(
            f"pid {tmp_path}/nginx.pid;\nerror_log stderr notice;\ndaemon off;\nmaster_process off;\nevents {{}}\n"
            f"http {{\n  access_log off;\n{temp_paths}  include {tmp_path}/site.conf;\n}}\n"
        )
        child = procs.start("nginx", [str(NGINX), "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
        try:
            # nginx reports its resource limits right after it has opened its listening sockets.
            child.wait_for(r"getrlimit\(RLIMIT_NOFILE\)", timeout=20)
        except DeadlineExceeded:
            procs.stop(child)
            if "Address already in use" in child.output():
                continue
            raise
        return child, tls_port, plain_port
    raise DeadlineExceeded("nginx: no free ports after 5 attempts")


def _request(port: int, target: str, *, tls: bool, host: str = "portal.example.org", method: str = "GET") -> str:
    """One raw HTTP/1.1 request (the path goes out byte for byte; SNI names ``host``); returns the status line."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn: socket.socket = raw
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        conn = context.wrap_socket(raw, server_hostname=host)
    try:
        conn.sendall(f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    except (ConnectionResetError, ssl.SSLError):
        return "closed"  # 444: nginx closes the connection without an answer
    finally:
        conn.close()
    return answer.split(b"\r\n", 1)[0].decode() or "closed"


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (.ci/run installs it)")
def test_nginx_writes_no_token_to_any_log(tmp_path: Path, procs: ProcessRegistry) -> None:
    """Token URLs through the shipped config (TLS server, port-80 redirect, unknown host), upstream down."""
    child, tls_port, plain_port = _start_nginx(procs, tmp_path)
    paths = [
        f"/consent/invitation/{TOKEN}/",
        f"/consent/%69nvitation/{TOKEN}/",
        f"/consent/invitation/{TOKEN}/?token={TOKEN}",
        f"/sessions/feed/{TOKEN}.ics",
        f"/notifications/go/{TOKEN}",
        f"/accounts/confirm-email/{TOKEN}/",
        f"/accounts/password/reset/key/1-{TOKEN}/",
        f"/accounts/login/?next=/notifications/go/{TOKEN}",
    ]
    answers = {}
    for path in paths:
        answers[("tls", path)] = _request(tls_port, path, tls=True)
        answers[("post", path)] = _request(tls_port, path, tls=True, method="POST")
        answers[("http", path)] = _request(plain_port, path, tls=False)
        answers[("other host", path)] = _request(plain_port, path, tls=False, host="elsewhere.example.com")
    procs.stop(child)

    assert {answers[("tls", path)] for path in paths} == {"HTTP/1.1 502 Bad Gateway"}  # proxied; upstream down
    assert {answers[("http", path)] for path in paths} == {"HTTP/1.1 301 Moved Permanently"}
    assert {answers[("other host", path)] for path in paths} == {"closed"}
    logs = {path.name: path.read_text() for path in tmp_path.glob("*.log")}
    logs["stderr"] = child.output()
    assert set(logs) >= {"family-portal.access.log", "family-portal.error.log", "stderr"}
    leaks = [f"{name}: {line}" for name, text in logs.items() for line in text.splitlines() if TOKEN in line]
    assert leaks == [], "\n".join(leaks)
    access = logs["family-portal.access.log"].splitlines()
    assert len(access) == 4 * len(paths)
    assert sum('"GET /consent/invitation/[redacted]" 502' in line for line in access) == 3
    assert any('"GET /accounts/login/" 502' in line for line in access)
