//! A throwaway PostgreSQL cluster for the tests, no Docker: Debian's `postgresql` binaries
//! (`/usr/lib/postgresql/<version>/bin`, installed by `tests/run.sh` when missing) make a
//! cluster in a temporary directory once per test process: `initdb` as the `postgres` OS user
//! when the tests run as root, trust authentication, its Unix socket in that directory, a free
//! TCP port on 127.0.0.1, and `fsync` left on (durability is what the store promises). Each
//! test takes a database of its own (`database()`), so tests run in parallel. The cluster is
//! stopped (`pg_ctl stop -m immediate`) and its directory removed when the process exits.
//! A test that stops and starts the database under load takes a cluster of its own
//! (`OwnCluster`), so the others' databases stay up.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The running cluster of this test process.
struct Cluster {
    bin: PathBuf,
    /// The temporary directory: `data/`, the socket, the server's log.
    root: PathBuf,
    port: u16,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

/// The newest installed PostgreSQL's `bin` directory.
fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (tests/run.sh installs Debian's postgresql)")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .expect("an initdb under /usr/lib/postgresql/*/bin (tests/run.sh installs it)")
        .1
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and touches no memory.
    unsafe { libc::geteuid() == 0 }
}

/// `program` run as the `postgres` user when this process is root (PostgreSQL refuses root).
fn as_owner(program: &Path) -> Command {
    match is_root() {
        true => {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        }
        false => Command::new(program),
    }
}

fn run_ok(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A TCP port no one listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

impl Cluster {
    fn start_unregistered() -> Cluster {
        let bin = bin_dir();
        let root = tempfile::Builder::new()
            .prefix("goal-ledger-pg")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        if is_root() {
            let owner = nix_user("postgres");
            std::os::unix::fs::chown(&root, Some(owner.0), Some(owner.1))
                .expect("the cluster's directory given to the postgres user");
        }
        let data = root.join("data");
        run_ok(
            as_owner(&bin.join("initdb")).arg("-D").arg(&data).args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ]),
            "initdb",
        );
        let port = free_port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on",
            root.display()
        );
        run_ok(
            as_owner(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .args(["-o", &options, "-l"])
                .arg(root.join("server.log"))
                .args(["-w", "-t", "60", "start"]),
            "pg_ctl start",
        );
        Cluster { bin, root, port }
    }

    /// The shared cluster, stopped when the process exits.
    fn start() -> Cluster {
        let cluster = Cluster::start_unregistered();
        // SAFETY: registers a plain `extern "C" fn` with no arguments, as atexit requires.
        unsafe { libc::atexit(stop_at_exit) };
        cluster
    }

    fn pg_ctl(&self, args: &[&str], what: &str) {
        run_ok(
            as_owner(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.root.join("data"))
                .args(args),
            what,
        );
    }

    /// A new, empty database of its own on this cluster.
    fn database(&self) -> String {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        run_ok(
            Command::new(self.bin.join("psql"))
                .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-q"])
                .args(["-p", &self.port.to_string()])
                .args(["-c", &format!("CREATE DATABASE {name}")]),
            "CREATE DATABASE",
        );
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    fn stop(&self) {
        let _ = as_owner(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.root.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The uid and gid of `name`, from `/etc/passwd`.
fn nix_user(name: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").expect("/etc/passwd");
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.first() == Some(&name) && f.len() > 3)
        .map(|f| (f[2].parse().unwrap(), f[3].parse().unwrap()))
        .unwrap_or_else(|| panic!("a `{name}` user (Debian's postgresql package makes it)"))
}

/// A cluster for one test alone, which it may stop and start; stopped and removed when dropped.
pub struct OwnCluster(Option<Cluster>);

impl OwnCluster {
    pub fn start() -> OwnCluster {
        OwnCluster(Some(Cluster::start_unregistered()))
    }

    fn cluster(&self) -> &Cluster {
        self.0.as_ref().expect("the cluster until it is dropped")
    }

    /// A new, empty database on this cluster.
    pub fn database(&self) -> String {
        self.cluster().database()
    }

    /// Stops the server as an operator would for maintenance (`pg_ctl stop -m fast`: open
    /// transactions are rolled back, connections closed).
    pub fn stop_fast(&self) {
        self.cluster().pg_ctl(
            &["-m", "fast", "-w", "-t", "60", "stop"],
            "pg_ctl stop -m fast",
        );
    }

    /// Starts it again, on the same port and socket.
    pub fn start_again(&self) {
        let c = self.cluster();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=on",
            c.port,
            c.root.display()
        );
        let log = c.root.join("server.log");
        let log = log.to_string_lossy();
        c.pg_ctl(
            &["-o", &options, "-l", &log, "-w", "-t", "60", "start"],
            "pg_ctl start",
        );
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        if let Some(cluster) = self.0.take() {
            cluster.stop();
        }
    }
}

extern "C" fn stop_at_exit() {
    if let Some(cluster) = CLUSTER.get() {
        cluster.stop();
    }
}

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(Cluster::start)
}

/// The URL of a new, empty database of its own on this process's cluster.
pub fn database() -> String {
    cluster().database()
}

/// Runs SQL on a test's database with `psql`, and returns what it printed (unaligned, no
/// headers): for tests that look at or change the rows behind the store's back.
pub fn psql(url: &str, sql: &str) -> String {
    let cluster = cluster();
    let out = Command::new(cluster.bin.join("psql"))
        .arg(url)
        .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A `psql` session on a test's database that runs `sql` and then waits, idle (inside its
/// transaction, if `sql` opened one), until its stdin is closed: drop `stdin` and wait.
pub fn psql_session(url: &str, sql: &str) -> std::process::Child {
    use std::io::Write;
    let cluster = cluster();
    let mut child = Command::new(cluster.bin.join("psql"))
        .arg(url)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("psql runs");
    let stdin = child.stdin.as_mut().expect("psql's stdin");
    writeln!(stdin, "{sql}").expect("psql takes the SQL");
    child
}
