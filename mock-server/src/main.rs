//! `userfront-mock`: run the mock until Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use userfront_mock::App;
use userfront_mock::config::Config;
use userfront_mock::server::{load_seed, open_store, serve};
use userfront_mock::state::{self, Store, seed};

fn main() -> ExitCode {
    let config = Config::parse();
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
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("userfront-mock: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), String> {
    if let Some(warning) = userfront_mock::log::init(config.log) {
        eprintln!("userfront-mock: warning: {warning}");
    }
    let seed = load_seed(config.fixtures.as_deref(), config.empty)?;
    let addr = SocketAddr::new(config.host, config.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let store = open_store(
        seed,
        config.import.as_deref(),
        config.export_on_exit.as_deref(),
    )?;
    print_banner(&store, addr, &config);
    let app = App::new(store)
        .with_journal_size(config.journal_size)
        .with_export_path(config.export_on_exit.as_deref());
    serve(listener, app, config.serve_options(), shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
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

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
