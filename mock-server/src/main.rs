//! `userfront-mock`: run the mock until Ctrl-C or SIGTERM; or run a command against it
//! (`exec`); or ask a running one whether it is up (`health`).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
use userfront_mock::App;
use userfront_mock::config::{Command, Config};
use userfront_mock::ready;
use userfront_mock::server::{load_seed, open_store, serve};
use userfront_mock::state::{self, Store, seed};

fn main() -> ExitCode {
    one_malloc_arena();
    let matches = Config::command().get_matches();
    let config = match Config::from_arg_matches(&matches) {
        Ok(config) => config,
        Err(e) => e.exit(),
    };
    // `exec` picks a free port unless one was asked for (flag or environment).
    let port_given = matches.value_source("port") != Some(ValueSource::DefaultValue);
    if let Some(Command::Health) = config.command {
        return health(&config);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("userfront-mock: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match config.command.clone() {
        Some(Command::Exec { command }) => runtime.block_on(exec(config, port_given, command)),
        _ => runtime.block_on(run(config)).map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|e| {
        eprintln!("userfront-mock: {e}");
        ExitCode::FAILURE
    })
}

/// A mock bound and ready to serve.
struct Started {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    store: Store,
    app: App,
}

/// Loads the seed, binds, opens the store; writes the ready file once listening.
async fn start(config: &Config, port: u16) -> Result<Started, String> {
    if let Some(warning) = userfront_mock::log::init(config.log) {
        eprintln!("userfront-mock: warning: {warning}");
    }
    if let Some(path) = &config.ready_file {
        ready::remove(path);
    }
    let seed = load_seed(config.fixtures.as_deref(), config.empty)?;
    let addr = SocketAddr::new(config.host, port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let store = open_store(
        seed,
        config.import.as_deref(),
        config.export_on_exit.as_deref(),
    )?;
    let app = App::new(store.clone())
        .with_journal_size(config.journal_size)
        .with_export_path(config.export_on_exit.as_deref());
    Ok(Started {
        listener,
        addr,
        store,
        app,
    })
}

/// Writes the ready file, if asked for (before the banner, so whoever has read the banner can
/// also read the file).
fn announce(config: &Config, store: &Store, addr: SocketAddr) -> Result<(), String> {
    match &config.ready_file {
        Some(path) => ready::write(path, &ready::info(store, addr)),
        None => Ok(()),
    }
}

async fn run(config: Config) -> Result<(), String> {
    let mut signals = Signals::new();
    let Started {
        listener,
        addr,
        store,
        app,
    } = start(&config, config.port).await?;
    announce(&config, &store, addr)?;
    print_banner(&store, addr, &config);
    let served = serve(listener, app, config.serve_options(), async move {
        signals.next().await;
    })
    .await;
    if let Some(path) = &config.ready_file {
        ready::remove(path);
    }
    served.map_err(|e| e.to_string())?;
    let mut out = std::io::stdout();
    if let Some(path) = &config.export_on_exit {
        let _ = writeln!(
            out,
            "state saved to {}",
            state::persist::file_path(path).display()
        );
    }
    let _ = writeln!(out, "userfront-mock stopped");
    Ok(())
}

/// `userfront-mock exec -- COMMAND...`: the mock serves while COMMAND runs; the exit code is
/// COMMAND's. Ctrl-C or SIGTERM to this process is passed on to COMMAND, whose exit then ends
/// the mock as usual. The mock's own lines go to stderr, so COMMAND's stdout stays its own.
async fn exec(
    config: Config,
    port_given: bool,
    command: Vec<std::ffi::OsString>,
) -> Result<ExitCode, String> {
    let port = if port_given { config.port } else { 0 };
    let mut signals = Signals::new();
    let Started {
        listener,
        addr,
        store,
        app,
    } = start(&config, port).await?;
    let info = ready::info(&store, addr);
    announce(&config, &store, addr)?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, config.serve_options(), async {
        let _ = stop_rx.await;
    }));
    let shown = command
        .iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    eprintln!("userfront-mock: listening on http://{addr}; running `{shown}`");
    let mut child = std::process::Command::new(&command[0]);
    child.args(&command[1..]).envs(ready::env(&info));
    let outcome = match child.spawn() {
        Ok(child) => Ok(wait_passing_signals(child, &mut signals).await),
        Err(e) => Err(e),
    };
    let _ = stop_tx.send(());
    let served = server.await;
    if let Some(path) = &config.ready_file {
        ready::remove(path);
    }
    match served {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("userfront-mock: {e}"),
        Err(e) => eprintln!("userfront-mock: {e}"),
    }
    match outcome {
        Ok(Ok(status)) => Ok(ExitCode::from(exit_code(status))),
        Ok(Err(e)) => Err(format!("cannot wait for `{shown}`: {e}")),
        Err(e) => {
            eprintln!("userfront-mock: cannot start `{shown}`: {e}");
            Ok(ExitCode::from(127))
        }
    }
}

/// Waits for `child`, passing Ctrl-C and SIGTERM received meanwhile on to it.
async fn wait_passing_signals(
    mut child: std::process::Child,
    signals: &mut Signals,
) -> std::io::Result<std::process::ExitStatus> {
    let pid = child.id();
    let waiting = tokio::task::spawn_blocking(move || child.wait());
    tokio::pin!(waiting);
    loop {
        tokio::select! {
            status = &mut waiting => {
                return status.map_err(std::io::Error::other)?;
            }
            signal = signals.next() => forward(pid, signal),
        }
    }
}

/// The exit code that reports `status`: its code, or 128 + the signal that killed it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return match code {
            0 => 0,
            c => u8::try_from(c).ok().filter(|&c| c != 0).unwrap_or(1),
        };
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(255);
        }
    }
    1
}

/// A signal asking this process to stop.
#[derive(Clone, Copy, Debug)]
enum Stop {
    Interrupt,
    Terminate,
}

/// Passes a stop signal on to the child `pid`.
#[cfg(unix)]
fn forward(pid: u32, signal: Stop) {
    let signal = match signal {
        Stop::Interrupt => libc::SIGINT,
        Stop::Terminate => libc::SIGTERM,
    };
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) has no memory-safety preconditions; the pid is our own child's.
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// Windows: Ctrl-C already reaches every process of the console.
#[cfg(not(unix))]
fn forward(_pid: u32, _signal: Stop) {}

/// `userfront-mock health`: 0 when the mock on --host/--port answers `GET /__mock/health` with
/// 200 within 3 seconds, else 1 with the reason on stderr.
fn health(config: &Config) -> ExitCode {
    let ip = match config.host {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let addr = SocketAddr::new(ip, config.port);
    match probe(addr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("userfront-mock: http://{addr}/__mock/health: {e}");
            ExitCode::FAILURE
        }
    }
}

fn probe(addr: SocketAddr) -> Result<(), String> {
    let limit = Duration::from_secs(3);
    let mut stream =
        std::net::TcpStream::connect_timeout(&addr, limit).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(limit))
        .and_then(|()| stream.set_write_timeout(Some(limit)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET /__mock/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream
        .take(64 * 1024)
        .read_to_end(&mut answer)
        .map_err(|e| e.to_string())?;
    let status_line = String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    if status_line.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!("answered `{status_line}`"))
    }
}

/// Prints the base URL, workspaces and keys. Write errors (a closed stdout) are ignored: the
/// banner is informational and must never stop the server.
fn print_banner(store: &Store, addr: SocketAddr, config: &Config) {
    let world = store.read();
    let summary = seed::summary(&world);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "userfront-mock listening on http://{addr}");
    for ws in summary["workspaces"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "workspace {} ({})",
            ws["tenantId"].as_str().unwrap_or_default(),
            ws["name"].as_str().unwrap_or_default()
        );
        for mode in ["test", "live"] {
            let keys = &ws["modes"][mode]["apiKeys"];
            for kind in ["admin", "readonly", "webhook"] {
                if let Some(key) = keys[kind].as_str() {
                    let _ = writeln!(out, "  {mode:<4} {kind:<8} {key}");
                }
            }
            let users = ws["modes"][mode]["users"].as_array().map_or(0, Vec::len);
            if users > 0 {
                let _ = writeln!(
                    out,
                    "  {mode:<4} users    {users} (password: {})",
                    userfront_mock::TEST_PASSWORD
                );
            }
        }
    }
    if let Some(path) = &config.import {
        let file = state::persist::file_path(path);
        if store.read().imported.is_some() {
            let _ = writeln!(out, "state imported from {}", file.display());
        } else {
            let _ = writeln!(
                out,
                "no state at {} yet: started from the seed",
                file.display()
            );
        }
    }
    if !addr.ip().is_loopback() {
        let _ = writeln!(
            std::io::stderr(),
            "userfront-mock: warning: listening on {}, a non-loopback address: anyone who can \
             reach it can use the control surface (/__mock/*: every key, private signing key and \
             password hash) and any Host name is answered",
            addr.ip()
        );
    }
    let _ = writeln!(out, "web page:        http://{addr}/__mock/");
    let _ = writeln!(out, "control surface: http://{addr}/__mock/state");
    let _ = out.flush();
}

/// Ctrl-C and SIGTERM, listened for from the moment this is made: made before the mock
/// announces itself, so that a signal sent right after the banner or the ready file is
/// caught and stops the mock cleanly instead of killing it.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Starts listening (inside the runtime).
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        Signals {}
    }

    /// The next Ctrl-C or SIGTERM.
    async fn next(&mut self) -> Stop {
        #[cfg(unix)]
        {
            async fn recv(signal: &mut Option<tokio::signal::unix::Signal>) {
                if let Some(s) = signal
                    && s.recv().await.is_some()
                {
                    return;
                }
                std::future::pending::<()>().await;
            }
            tokio::select! {
                () = recv(&mut self.interrupt) => Stop::Interrupt,
                () = recv(&mut self.terminate) => Stop::Terminate,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Stop::Interrupt
        }
    }
}

/// glibc's allocator gives each thread that meets contention an arena of its own (up to eight
/// per core), and memory freed in one arena is not reused by the others. The mock's threads
/// (the runtime's workers, the hashing pool) all allocate request by request, so after a run of
/// logins the arenas together held ~6 MiB more than one would (RSS after 10,000 logins
/// 32.6 MiB with the default, 29.6 MiB with one arena; `GET /v0/self` throughput the same
/// within noise; `cargo bench -p userfront-mock --bench throughput -- login`). Set before any
/// thread starts. The library leaves its host's allocator alone: this is the binary's choice.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena() {
    // SAFETY: mallopt only sets an allocator parameter; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}
