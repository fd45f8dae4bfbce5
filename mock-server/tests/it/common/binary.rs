//! The `userfront-mock` binary as a child process: started with a clean environment, its
//! banner read, stopped with SIGTERM within a bound, and killed if a test fails first.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_userfront-mock");

/// A running binary whose banner has been read.
pub struct Binary {
    child: Child,
    stdout: BufReader<ChildStdout>,
    /// The banner lines, up to and including the control-surface line.
    pub banner: Vec<String>,
}

impl Binary {
    /// A command for the binary with `args`, none of the `USERFRONT_MOCK_*` variables of the
    /// test's own environment (they would change what is tested), stdout and stderr piped.
    pub fn command(args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command.args(args);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("USERFRONT_MOCK_") {
                command.env_remove(name);
            }
        }
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command
    }

    /// Starts the binary with `args` and reads its banner.
    pub fn start(args: &[&str]) -> Self {
        Self::spawn(&mut Self::command(args))
    }

    /// Starts `command` (from [`Binary::command`]) and reads its banner.
    pub fn spawn(command: &mut Command) -> Self {
        let mut child = command.spawn().expect("binary starts");
        let stdout = child.stdout.take().map(BufReader::new);
        // Owned by the guard from here on, so a failed read below still kills the process.
        let mut binary = Binary {
            child,
            stdout: stdout.expect("stdout piped"),
            banner: Vec::new(),
        };
        loop {
            let mut line = String::new();
            let read = binary.stdout.read_line(&mut line).expect("stdout readable");
            assert!(read > 0, "stdout closed early after {:?}", binary.banner);
            let done = line.starts_with("control surface:");
            binary.banner.push(line.trim_end().to_owned());
            if done {
                return binary;
            }
        }
    }

    /// The base URL of the first banner line (`http://127.0.0.1:port`).
    pub fn base_url(&self) -> String {
        self.banner[0]
            .strip_prefix("userfront-mock listening on ")
            .unwrap_or_else(|| panic!("first line: {}", self.banner[0]))
            .to_owned()
    }

    /// `host:port` of the base URL.
    pub fn addr(&self) -> String {
        let base = self.base_url();
        base.strip_prefix("http://").unwrap_or(&base).to_owned()
    }

    /// Sends SIGTERM and waits at most `limit` for the exit (panics past it).
    pub fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(start.elapsed() < limit, "did not stop within {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The rest of stdout, after the process has exited.
    pub fn rest_of_stdout(&mut self) -> String {
        let mut rest = String::new();
        self.stdout
            .read_to_string(&mut rest)
            .expect("rest of stdout");
        rest
    }

    /// All of stderr, after the process has exited.
    pub fn stderr(&mut self) -> String {
        let mut err = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            stderr.read_to_string(&mut err).expect("stderr readable");
        }
        err
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
