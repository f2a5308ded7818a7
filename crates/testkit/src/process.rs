//! A Brigade binary run as a child process by a test: started, SIGKILLed, restarted, and asked
//! to stop with SIGTERM, its output kept in a log file for when the test fails.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A child process the test can kill and start again with the same arguments.
pub struct Proc {
    /// The executable.
    pub bin: &'static str,
    /// Its arguments.
    pub args: Vec<&'static str>,
    /// Environment variables besides DATABASE_URL and NATS_URL.
    pub env: Vec<(&'static str, String)>,
    /// Where its output goes (appended across restarts).
    pub log: std::path::PathBuf,
    child: Option<Child>,
}

impl Proc {
    /// A process not started yet.
    pub fn new(bin: &'static str, args: Vec<&'static str>, log: std::path::PathBuf) -> Self {
        Self {
            bin,
            args,
            env: Vec::new(),
            log,
            child: None,
        }
    }

    /// Starts it against `database_url` and `nats`.
    pub fn start(&mut self, database_url: &str, nats: &str) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(self.bin)
            .args(&self.args)
            .env("DATABASE_URL", database_url)
            .env("NATS_URL", nats)
            .env("RUST_LOG", "warn,brigade_projections::balance=info")
            .envs(self.env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// Its pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// SIGKILL, and wait for it to be gone.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// SIGTERM, then wait for a clean exit (at most 15 s).
    pub fn terminate(&mut self) -> bool {
        let Some(mut c) = self.child.take() else { return true };
        Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = c.try_wait().unwrap() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A small xorshift: tests print its seed so a failing schedule can be looked at again.
pub struct Rng(pub u64);

impl Rng {
    /// Seeded from the clock (never zero).
    pub fn from_clock() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64;
        Rng(seed | 1)
    }

    /// A number below `below`.
    pub fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}
