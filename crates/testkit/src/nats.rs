//! A NATS server (with JetStream) of the test's own, on a free port, that the test can stop and
//! start again. The real `nats-server`, as installed by scripts/services.sh.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// A configuration file, when the server is started with limits.
    config: Option<PathBuf>,
}

fn binary() -> String {
    if let Ok(bin) = std::env::var("NATS_SERVER_BIN") {
        return bin;
    }
    for candidate in [
        "/usr/sbin/nats-server",
        "/usr/bin/nats-server",
        "/usr/local/bin/nats-server",
    ] {
        if std::path::Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    "nats-server".into()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl NatsServer {
    pub async fn start() -> NatsServer {
        Self::start_with(None).await
    }

    /// A server whose JetStream may use at most `bytes` of file storage.
    pub async fn start_with_max_file_store(bytes: u64) -> NatsServer {
        Self::start_with(Some(format!("jetstream {{ max_file_store: {bytes} }}\n"))).await
    }

    async fn start_with(config_text: Option<String>) -> NatsServer {
        let dir = std::env::temp_dir().join(format!("brigade-nats-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = config_text.map(|text| {
            let path = dir.join("nats.conf");
            std::fs::write(&path, text).unwrap();
            path
        });
        let mut server = NatsServer {
            port: free_port(),
            dir,
            child: None,
            config,
        };
        server.resume().await;
        server
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts the server again (same port, same storage).
    pub async fn resume(&mut self) {
        let mut command = Command::new(binary());
        if let Some(config) = &self.config {
            command.arg("-c").arg(config);
        }
        let child = command
            .args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server (installed by scripts/services.sh)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the server (SIGKILL: it gets no chance to flush).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
