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

/// One node of a [`NatsCluster`].
struct Node {
    port: u16,
    config: PathBuf,
    child: Option<Child>,
}

/// A three-node JetStream cluster of the test's own on loopback (free ports, its own storage),
/// whose nodes the test can kill and start again.
pub struct NatsCluster {
    dir: PathBuf,
    nodes: Vec<Node>,
}

impl NatsCluster {
    /// Starts three nodes routed to each other and waits until JetStream answers on each.
    pub async fn start() -> NatsCluster {
        let dir = std::env::temp_dir().join(format!("brigade-nats-cluster-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let routes: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let route_list: Vec<String> = routes.iter().map(|p| format!("nats-route://127.0.0.1:{p}")).collect();
        let mut nodes = Vec::new();
        for (i, route) in routes.iter().enumerate() {
            let port = free_port();
            let store = dir.join(format!("n{i}"));
            std::fs::create_dir_all(&store).unwrap();
            let config = dir.join(format!("n{i}.conf"));
            std::fs::write(
                &config,
                format!(
                    "server_name: n{i}\nlisten: 127.0.0.1:{port}\n\
                     jetstream {{ store_dir: \"{}\" }}\n\
                     cluster {{ name: brigade, listen: 127.0.0.1:{route}, routes: [{}] }}\n",
                    store.display(),
                    route_list.join(", ")
                ),
            )
            .unwrap();
            nodes.push(Node {
                port,
                config,
                child: None,
            });
        }
        let mut cluster = NatsCluster { dir, nodes };
        for i in 0..3 {
            cluster.spawn(i);
        }
        for i in 0..3 {
            cluster.wait_healthy(i).await;
        }
        cluster
    }

    /// Every node's client URL, comma-separated (what NATS_URL takes).
    pub fn url(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("nats://127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn spawn(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let child = Command::new(binary())
            .arg("-c")
            .arg(&node.config)
            .arg("-l")
            .arg(node.config.with_extension("log"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server (installed by scripts/services.sh)");
        node.child = Some(child);
    }

    /// Waits until node `i` answers for JetStream (the cluster has elected its meta leader).
    async fn wait_healthy(&self, i: usize) {
        let url = format!("nats://127.0.0.1:{}", self.nodes[i].port);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            // The account's JetStream information, asked for raw: async-nats 0.51's typed
            // query_account does not read nats-server 2.9's answer (README, deployment notes).
            if let Ok(client) = async_nats::connect(&url).await {
                let asked =
                    tokio::time::timeout(Duration::from_secs(2), client.request("$JS.API.INFO", "".into())).await;
                if let Ok(Ok(reply)) = asked {
                    let answer: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap_or_default();
                    if answer.get("error").is_none() && answer.get("type").is_some() {
                        return;
                    }
                }
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.nodes[i].config.with_extension("log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                panic!(
                    "NATS node {i} did not answer for JetStream; its log ends:\n{}",
                    tail.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Kills node `i` (SIGKILL).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts node `i` again (same ports, same storage) and waits until it is healthy.
    pub async fn resume(&mut self, i: usize) {
        self.spawn(i);
        self.wait_healthy(i).await;
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
