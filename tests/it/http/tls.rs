//! `serve --tls-cert --tls-key`: the real binary serves HTTPS with a certificate made for the
//! test (Python's `cryptography`, which `tests/run.sh` installs), a client that trusts it gets
//! answers and the actor's token works; a browser's session cookie is `Secure`; plain HTTP on
//! that port gets nothing; a key file that holds no certificate is a usage error.

use super::*;

/// Writes a self-signed certificate for 127.0.0.1 and its key into `dir`.
fn certificate(dir: &std::path::Path) {
    let script = r#"
import datetime, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
import ipaddress
key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "goal-ledger test")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
open(sys.argv[1] + "/cert.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(sys.argv[1] + "/key.pem", "wb").write(key.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// GETs `url` with Python's standard library, trusting `ca`; the status and body, or the error.
fn https_get(url: &str, ca: &std::path::Path) -> String {
    let script = r#"
import ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
try:
    with urllib.request.urlopen(sys.argv[1], context=ctx, timeout=10) as r:
        print(r.status, r.read().decode())
except Exception as e:
    print("error", e)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, url])
        .arg(ca)
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Posts the sign-in form with `token` to `url` over HTTPS; the status and the Set-Cookie.
fn https_sign_in(url: &str, ca: &std::path::Path, token: &str) -> String {
    let script = r#"
import ssl, sys, urllib.parse, urllib.request
ctx = ssl.create_default_context(cafile=sys.argv[2])
class Keep(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), Keep())
origin = sys.argv[1].rsplit("/", 1)[0]
body = urllib.parse.urlencode({"token": sys.argv[3], "next": "/"}).encode()
request = urllib.request.Request(sys.argv[1], data=body, headers={"Origin": origin})
try:
    r = opener.open(request, timeout=10)
    print(r.status, r.headers.get("Set-Cookie"))
except urllib.error.HTTPError as e:
    print(e.code, e.headers.get("Set-Cookie"))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, url])
        .arg(ca)
        .arg(token)
        .output()
        .expect("python3 runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn the_server_serves_https_with_the_certificate_it_is_given() {
    let dir = temp_dir();
    certificate(dir.path());
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let args = [
        "--public-read".as_ref(),
        "--tls-cert".as_ref(),
        cert.as_os_str(),
        "--tls-key".as_ref(),
        key.as_os_str(),
    ];
    let data = dir.path().join("data");
    let created = std::process::Command::new(assert_cmd::cargo::cargo_bin("goal-ledger"))
        .args(["--actor", "olivia", "--output", "json", "--data-dir"])
        .arg(&data)
        .args(["token", "create", "--for", "olivia", "--role", "admin"])
        .output()
        .unwrap();
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    let token = created["token"].as_str().unwrap().to_owned();
    let (mut child, url) = serve_binary_with(&data, &args);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    // Behind TLS the session cookie is Secure.
    let signed = https_sign_in(&format!("{url}/login"), &cert, &token);
    assert!(signed.starts_with("303 goal_ledger_session="), "{signed}");
    assert!(signed.ends_with("; Secure"), "{signed}");
    let health = https_get(&format!("{url}/healthz"), &cert);
    assert!(
        health.starts_with("200 ") && health.contains("\"status\":\"ok\""),
        "{health}"
    );
    let key_answer = https_get(&format!("{url}/ledger/public-key"), &cert);
    assert!(key_answer.starts_with("200 goal-ledger/"), "{key_answer}");
    // Plain HTTP on the TLS port gets no answer.
    let plain = https_get(&url.replace("https://", "http://"), &cert);
    assert!(plain.starts_with("error"), "{plain}");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_certificate_file_without_a_certificate_is_a_usage_error() {
    let dir = temp_dir();
    certificate(dir.path());
    let key = dir.path().join("key.pem");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("goal-ledger"))
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--tls-cert")
        .arg(&key)
        .arg("--tls-key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("--tls-cert") && text.contains("no certificate"),
        "{text}"
    );
}
