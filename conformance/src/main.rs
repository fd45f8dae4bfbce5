//! `userfront-conformance`: run the conformance scenarios against a target.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal as _;
use userfront_conformance::baseline::Baseline;
use userfront_conformance::report::{Paint, Status};
use userfront_conformance::snapshot;
use userfront_conformance::{Config, Credentials, DEFAULT_CASES, Stop, run, select};

/// Checks an implementation of the Userfront API against its documented contract.
#[derive(Parser, Debug)]
#[command(name = "userfront-conformance", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the scenarios (against the in-process mock when no --target is given).
    Run(Box<RunArgs>),
    /// Run the whole suite and report which routes, response fields and rules of the spec it
    /// asserted (fails below the floor of conformance/coverage-gaps.txt).
    Coverage {
        /// Base URL of the implementation (default: the in-process mock).
        #[arg(long, env = "USERFRONT_TARGET")]
        target: Option<String>,
        /// List the covered items too, with the scenarios that cover them.
        #[arg(long)]
        all: bool,
    },
    /// List the scenarios a filter selects, with their group and tags.
    List {
        /// Scenario name part, group or tag (repeatable; any match selects).
        #[arg(long, short)]
        filter: Vec<String>,
    },
    /// What changed between two runs: compares two --json reports (before, after). Exits 1
    /// when a scenario fails in the second that did not fail in the first.
    Diff {
        /// The earlier report.
        before: PathBuf,
        /// The later report.
        after: PathBuf,
    },
}

/// When to colour the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Color {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

/// How to print the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Progress lines, failures grouped by cause, the summary.
    Human,
    /// The human output plus GitHub Actions annotations (::error, ::warning) and a Markdown
    /// step summary appended to $GITHUB_STEP_SUMMARY.
    Github,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Base URL of the implementation, e.g. http://127.0.0.1:4780. Without it the runner
    /// starts the in-process mock and checks that (a runner built without the `mock` feature
    /// needs it).
    #[arg(long, env = "USERFRONT_TARGET")]
    target: Option<String>,
    /// Workspace (root tenant) to test in. Read from /__mock/state when the target has it.
    #[arg(long, env = "USERFRONT_TENANT_ID")]
    tenant_id: Option<String>,
    /// Test-mode admin API key of the workspace.
    #[arg(long, env = "USERFRONT_ADMIN_KEY", hide_env_values = true)]
    admin_key: Option<String>,
    /// Test-mode read-only API key (permission scenarios).
    #[arg(long, env = "USERFRONT_READONLY_KEY", hide_env_values = true)]
    readonly_key: Option<String>,
    /// Test-mode webhook API key (permission scenarios).
    #[arg(long, env = "USERFRONT_WEBHOOK_KEY", hide_env_values = true)]
    webhook_key: Option<String>,
    /// Live-mode admin API key (mode-isolation scenarios).
    #[arg(long, env = "USERFRONT_LIVE_ADMIN_KEY", hide_env_values = true)]
    live_admin_key: Option<String>,
    /// Live-mode read-only API key.
    #[arg(long, env = "USERFRONT_LIVE_READONLY_KEY", hide_env_values = true)]
    live_readonly_key: Option<String>,
    /// An https origin on a live domain of the workspace, e.g. https://example.com.
    #[arg(long, env = "USERFRONT_LIVE_ORIGIN")]
    live_origin: Option<String>,
    /// A second workspace, for cross-tenant scenarios.
    #[arg(long, env = "USERFRONT_OTHER_TENANT_ID")]
    other_tenant_id: Option<String>,
    /// Test-mode admin API key of the second workspace.
    #[arg(long, env = "USERFRONT_OTHER_ADMIN_KEY", hide_env_values = true)]
    other_admin_key: Option<String>,
    /// Seed of the generated cases (printed by every run, to replay it).
    #[arg(long, env = "USERFRONT_CONFORMANCE_SEED")]
    seed: Option<u64>,
    /// Generated cases per property.
    #[arg(long, default_value_t = DEFAULT_CASES, env = "USERFRONT_CONFORMANCE_CASES")]
    cases: u32,
    /// Run only scenarios whose name contains this, or with this group or tag (repeatable).
    #[arg(long, short)]
    filter: Vec<String>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Directory of the contract snapshots (default: the committed conformance/snapshots).
    #[arg(long, value_name = "DIR")]
    snapshots: Option<PathBuf>,
    /// Record the flows as new snapshots (<name>.snap.new, review with `cargo insta review`)
    /// instead of comparing.
    #[arg(long)]
    record_snapshots: bool,
    /// Longest time one scenario may take, in seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// Print only failures and the summary.
    #[arg(long, short)]
    quiet: bool,
    /// Known failures to tolerate: a JSON file {"knownFailures": [{"scenario", "reason"}]}.
    /// The run fails only on other failures, and names the entries that now pass.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Differential mode: run the same scenarios (same seed) against this second
    /// implementation too and report every answer that differs in status, shape or verdict.
    /// Its credentials come from its /__mock/state.
    #[arg(long, value_name = "URL")]
    reference: Option<String>,
    /// Warn about answers slower than this many seconds (fractions allowed).
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    slow: f64,
    /// Wait up to SECS for the target (and reference) to answer before starting.
    #[arg(long, value_name = "SECS")]
    wait_for_target: Option<u64>,
    /// Colour the output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Output format: human, or github (adds ::error/::warning annotations and a step summary).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::List { filter } => {
            let config = Config {
                filters: filter,
                ..Config::default()
            };
            let selected = select(&config);
            if selected.is_empty() {
                eprintln!(
                    "userfront-conformance: the filter {} selects no scenario",
                    config.filters.join(" ")
                );
                return ExitCode::from(2);
            }
            for s in selected {
                println!(
                    "{:<60} {:<8} {}",
                    s.name,
                    s.group.as_str(),
                    s.tags.join(",")
                );
            }
            ExitCode::SUCCESS
        }
        Command::Diff { before, after } => diff_command(&before, &after),
        Command::Coverage { target, all } => match tokio::runtime::Runtime::new()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(userfront_conformance::coverage::command(target, all)))
        {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("userfront-conformance: {e}");
                ExitCode::from(2)
            }
        },
        Command::Run(args) => {
            let args = *args;
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("userfront-conformance: cannot start the runtime: {e}");
                    return ExitCode::from(2);
                }
            };
            runtime.block_on(run_command(args))
        }
    }
}

async fn run_command(args: RunArgs) -> ExitCode {
    let baseline = match args.baseline.as_deref().map(Baseline::load).transpose() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("userfront-conformance: {e}");
            return ExitCode::from(2);
        }
    };
    // Ctrl-C stops the run and still cleans up; a second Ctrl-C quits at once.
    let stop = Stop::default();
    let watcher = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "userfront-conformance: interrupted; cleaning up what the run created (Ctrl-C again to quit at once)"
            );
            watcher.stop();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let config = Config {
        target: args.target,
        credentials: Credentials {
            tenant_id: args.tenant_id,
            admin_key: args.admin_key,
            readonly_key: args.readonly_key,
            webhook_key: args.webhook_key,
            live_admin_key: args.live_admin_key,
            live_readonly_key: args.live_readonly_key,
            live_origin: args.live_origin,
            other_tenant_id: args.other_tenant_id,
            other_admin_key: args.other_admin_key,
        },
        seed: args.seed,
        cases: args.cases,
        filters: args.filter,
        snapshots: snapshot::Options {
            dir: args.snapshots.unwrap_or_else(snapshot::default_dir),
            record: args.record_snapshots,
        },
        timeout: Duration::from_secs(args.timeout),
        baseline,
        reference: args.reference,
        wait_for_target: args.wait_for_target.map(Duration::from_secs),
        stop,
        slow: match Duration::try_from_secs_f64(args.slow) {
            Ok(d) if !d.is_zero() => d,
            _ => {
                eprintln!(
                    "userfront-conformance: --slow {} is not a positive number of seconds",
                    args.slow
                );
                return ExitCode::from(2);
            }
        },
    };
    let paint = Paint {
        on: use_color(args.color),
    };
    let quiet = args.quiet;
    let mut progress = |r: &userfront_conformance::ScenarioResult, done: usize, total: usize| {
        let mark = match r.status {
            Status::Passed => paint.green("ok  "),
            Status::Failed => paint.red("FAIL"),
            Status::Warning => paint.yellow("warn"),
            Status::Skipped => paint.dim("skip"),
        };
        if !quiet || r.status == Status::Failed {
            println!(
                "[{done:>3}/{total}] {mark} {} ({} ms)",
                r.name, r.duration_ms
            );
            let _ = std::io::stdout().flush();
        }
    };
    let report = match run(config, &mut progress).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("userfront-conformance: {e}");
            return ExitCode::from(2);
        }
    };
    print!("{}", report.human_with(&paint));
    let mut written = true;
    if args.format == Format::Github {
        print!("{}", report.github_annotations());
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            written &= append_file(&PathBuf::from(path), &report.markdown());
        }
    }
    if let Some(path) = &args.junit {
        written &= write_file(path, &report.junit());
    }
    if let Some(path) = &args.json {
        written &= write_file(path, &report.json());
    }
    if report.interrupted {
        ExitCode::from(130)
    } else if report.success() && written {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Whether to colour: `always` and `never` say so; `auto` colours a terminal unless `NO_COLOR`
/// is set to anything non-empty (no-color.org).
fn use_color(color: Color) -> bool {
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

fn diff_command(before: &std::path::Path, after: &std::path::Path) -> ExitCode {
    let read = |p: &std::path::Path| -> Result<serde_json::Value, String> {
        let text =
            std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", p.display()))
    };
    let result = read(before).and_then(|a| {
        let b = read(after)?;
        userfront_conformance::diff::diff(&a, &b)
    });
    match result {
        Ok(d) => {
            print!("{}", d.text);
            if d.newly_failing == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("userfront-conformance: {e}");
            ExitCode::from(2)
        }
    }
}

fn append_file(path: &PathBuf, text: &str) -> bool {
    use std::fs::OpenOptions;
    match OpenOptions::new().create(true).append(true).open(path) {
        Ok(mut f) => f.write_all(text.as_bytes()).is_ok(),
        Err(e) => {
            eprintln!(
                "userfront-conformance: cannot write {}: {e}",
                path.display()
            );
            false
        }
    }
}

fn write_file(path: &PathBuf, text: &str) -> bool {
    match std::fs::write(path, text) {
        Ok(()) => true,
        Err(e) => {
            eprintln!(
                "userfront-conformance: cannot write {}: {e}",
                path.display()
            );
            false
        }
    }
}
