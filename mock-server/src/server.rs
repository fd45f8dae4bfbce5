//! Binding, serving and shutting down; the in-process handle for tests ([`MockUserfront`]).

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

use crate::api::App;
use crate::conn::Edge;
use crate::control::guard::ControlGuard;
use crate::state::Store;
use crate::state::model::{KeyType, Mode};
use crate::state::persist::{self, Snapshot};
use crate::state::seed::Seed;

/// The embedded fixtures, parsed once per process and shared by every mock started in it.
fn embedded_seed() -> Result<Arc<Seed>, String> {
    static SEED: OnceLock<Result<Arc<Seed>, String>> = OnceLock::new();
    SEED.get_or_init(|| Seed::embedded().map(Arc::new)).clone()
}

/// Loads the seed: the embedded fixtures or a fixtures directory, optionally without users.
pub fn load_seed(fixtures: Option<&std::path::Path>, empty: bool) -> Result<Arc<Seed>, String> {
    match (fixtures, empty) {
        (None, false) => embedded_seed(),
        (None, true) => Seed::embedded().map(|s| Arc::new(s.without_users())),
        (Some(dir), false) => Seed::from_dir(dir).map(Arc::new),
        (Some(dir), true) => Seed::from_dir(dir).map(|s| Arc::new(s.without_users())),
    }
}

/// The store a mock starts with: the seed, replaced by the state file `import` when given.
///
/// A state file that does not exist yet but is also where the state is saved (`--import x
/// --export-on-exit x`) is the first run of a mock that keeps its state between runs: it
/// starts from the seed.
pub fn open_store(
    seed: Arc<Seed>,
    import: Option<&Path>,
    export: Option<&Path>,
) -> Result<Store, String> {
    let store = Store::new(seed);
    // Temporary files of an export that was interrupted (kill -9) are of no use to anyone.
    for path in [import, export].into_iter().flatten() {
        persist::remove_stale_temp_files(path);
    }
    if let Some(path) = import {
        let file = persist::file_path(path);
        let first_run = !file.exists() && export.map(persist::file_path) == Some(file);
        if !first_run {
            let snapshot = Snapshot::read(path)?;
            store.write().import(Arc::new(snapshot));
        }
    }
    Ok(store)
}

/// Saves the state of `store` to `path` (a file, or a directory to hold `state.json`),
/// atomically; returns the file written.
pub fn save_state(store: &Store, path: &Path) -> Result<PathBuf, String> {
    let state = persist::export(&store.read());
    persist::write(&state, path)
}

/// How the mock treats slow, idle and numerous connections, and how long it waits at shutdown;
/// and who may use the control surface. The defaults suit a local test tool: a well-behaved
/// client never notices them, a stuck or hostile one is cut off within seconds.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// A request's head must be complete this long after its first byte (default 5 s).
    pub header_timeout: Duration,
    /// A request's body must be complete this long after its head (default 10 s; 408).
    pub body_timeout: Duration,
    /// A connection waiting for its first or next request is closed after this (default 10 s).
    pub idle_timeout: Duration,
    /// At shutdown, requests in flight get this long to finish before their connections are
    /// dropped; the state is saved in any case (default 5 s).
    pub shutdown_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog until one closes
    /// (default 128, under the common 256 open-file limit with room for state files and
    /// outgoing webhook calls).
    pub max_connections: usize,
    /// Origins besides the loopback ones that may use `/__mock/*` (`--control-origin`).
    pub control_origins: Vec<String>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(5),
            max_connections: 128,
            control_origins: Vec::new(),
        }
    }
}

/// Serves the mock on `listener` until `shutdown` completes, then gives requests in flight up
/// to [`ServeOptions::shutdown_timeout`], drops what is left, and saves the state if the app
/// has an export path.
///
/// `axum::serve` has no timeouts and no connection cap, so connections are served here with
/// hyper's HTTP/1 connection builder, each behind [`crate::conn::Edge`] (idle and header
/// deadlines, hyper's own refusals in the documented format), and watched by hyper-util's
/// graceful shutdown.
pub async fn serve(
    listener: TcpListener,
    app: App,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::extract::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;

    crate::webhooks::start(&app);
    let export = app.export_path.clone();
    let store = app.store.clone();
    let waits = app.waits.clone();
    let loopback = listener.local_addr()?.ip().is_loopback();
    let front = crate::front::Front::new(
        app,
        ControlGuard::new(&options.control_origins, loopback),
        options.body_timeout,
    );
    let mut http = hyper::server::conn::http1::Builder::new();
    // The header deadline is `Edge`'s (hyper's own would also cut idle keep-alive connections).
    http.timer(TokioTimer::new()).header_read_timeout(None);
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let max = options.max_connections.max(1);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept(), if connections.len() < max => {
                let (socket, remote) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors, or a connection reset before it was
                        // accepted: keep serving the others.
                        if !is_connection_error(&e) {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        continue;
                    }
                };
                let _ = socket.set_nodelay(true);
                let io = TokioIo::new(Edge::new(socket, options.idle_timeout, options.header_timeout));
                let front = front.clone();
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let mut req = req.map(axum::body::Body::new);
                    req.extensions_mut().insert(ConnectInfo(remote));
                    let front = front.clone();
                    async move { Ok::<_, std::convert::Infallible>(front.handle(req).await) }
                });
                let conn = graceful.watch(http.serve_connection(io, service));
                connections.spawn(async move {
                    let _ = conn.await;
                });
            }
        }
    }
    drop(listener);
    // Long-polls answer now with what they have, instead of holding the shutdown up.
    waits.close();
    let _ = tokio::time::timeout(options.shutdown_timeout, graceful.shutdown()).await;
    connections.shutdown().await;
    if let Some(path) = export {
        save_state(&store, &path).map_err(std::io::Error::other)?;
    }
    Ok(())
}

/// Errors of one connection attempt, after which accepting again at once is right.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

/// Options for starting an in-process mock.
#[derive(Clone, Debug, Default)]
pub struct Builder {
    host: Option<IpAddr>,
    port: u16,
    fixtures: Option<PathBuf>,
    empty: bool,
    journal_size: Option<usize>,
    import: Option<PathBuf>,
    export_on_exit: Option<PathBuf>,
    serve: ServeOptions,
}

impl Builder {
    /// Bind to this address (default 127.0.0.1).
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = Some(host);
        self
    }

    /// Bind to this port (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Load fixtures from this directory instead of the embedded ones.
    pub fn fixtures(mut self, dir: impl Into<PathBuf>) -> Self {
        self.fixtures = Some(dir.into());
        self
    }

    /// Start with the seeded workspaces and keys but no users.
    pub fn empty(mut self, empty: bool) -> Self {
        self.empty = empty;
        self
    }

    /// Keep the last `size` requests in the journal (`GET /__mock/requests`; default 1,000; 0
    /// turns it off).
    pub fn journal_size(mut self, size: usize) -> Self {
        self.journal_size = Some(size);
        self
    }

    /// Start from a state file (or a directory holding `state.json`) saved by
    /// [`MockUserfront::export_state`], `--export-on-exit` or `GET /__mock/export`, instead of
    /// the bare seed; `POST /__mock/reset` returns to it.
    pub fn import(mut self, path: impl Into<PathBuf>) -> Self {
        self.import = Some(path.into());
        self
    }

    /// Save the state to this file (or directory) when the mock stops
    /// ([`MockUserfront::stop`]), and on `POST /__mock/export`.
    pub fn export_on_exit(mut self, path: impl Into<PathBuf>) -> Self {
        self.export_on_exit = Some(path.into());
        self
    }

    /// A request's head must be complete this long after its first byte, or the connection is
    /// dropped (default 5 s).
    pub fn header_timeout(mut self, timeout: Duration) -> Self {
        self.serve.header_timeout = timeout;
        self
    }

    /// A request's body must be complete this long after its head, or it is answered 408 and
    /// the connection closed (default 10 s).
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.serve.body_timeout = timeout;
        self
    }

    /// A connection waiting for its first or next request is closed after this (default 10 s).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.serve.idle_timeout = timeout;
        self
    }

    /// On [`MockUserfront::stop`], requests in flight get this long before their connections
    /// are dropped; the state is saved either way (default 5 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.serve.shutdown_timeout = timeout;
        self
    }

    /// Serve at most this many connections at once; more wait until one closes (default 128).
    pub fn max_connections(mut self, max: usize) -> Self {
        self.serve.max_connections = max;
        self
    }

    /// Also let pages of `origin` (`scheme://host[:port]`) use the control surface `/__mock/*`;
    /// by default only requests without an `Origin` or from a loopback one may.
    pub fn control_origin(mut self, origin: impl Into<String>) -> Self {
        self.serve.control_origins.push(origin.into());
        self
    }

    /// Binds and starts serving in the background.
    pub async fn start(self) -> std::io::Result<MockUserfront> {
        let seed =
            load_seed(self.fixtures.as_deref(), self.empty).map_err(std::io::Error::other)?;
        let addr = SocketAddr::new(
            self.host.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            self.port,
        );
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let store = open_store(seed, self.import.as_deref(), self.export_on_exit.as_deref())
            .map_err(std::io::Error::other)?;
        let app = App::new(store.clone())
            .with_journal_size(
                self.journal_size
                    .unwrap_or(crate::control::journal::DEFAULT_JOURNAL_SIZE),
            )
            .with_export_path(self.export_on_exit.as_deref());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = serve(listener, app, self.serve, async {
                let _ = rx.await;
            })
            .await;
            if let Err(e) = served {
                eprintln!("userfront-mock: {e}");
            }
        });
        Ok(MockUserfront {
            addr,
            base_url: format!("http://{addr}"),
            store,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A running in-process mock. Dropping it stops the server.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use userfront_mock::{MockUserfront, DEMO_TENANT};
/// let mock = MockUserfront::start().await?;
/// let url = format!("{}/v0/tenants/{DEMO_TENANT}/mode", mock.base_url());
/// // point reqwest, or your app, at `url` ...
/// mock.stop().await;
/// # Ok(()) }
/// ```
pub struct MockUserfront {
    addr: SocketAddr,
    base_url: String,
    store: Store,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockUserfront {
    /// Starts a mock with the embedded fixtures on a free port of 127.0.0.1.
    pub async fn start() -> std::io::Result<Self> {
        Builder::default().start().await
    }

    /// Options for a mock that needs something else.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The active API key of a type for a tenant and mode, as seeded or created since.
    pub fn api_key(&self, tenant_id: &str, mode: Mode, key_type: KeyType) -> Option<String> {
        let world = self.store.read();
        world
            .api_keys
            .values()
            .filter(|k| {
                &*k.tenant_id == tenant_id
                    && k.mode == mode
                    && k.key_type == key_type
                    && k.is_active
            })
            .min_by(|a, b| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)))
            .map(|k| k.key.to_string())
    }

    /// The test-mode admin key of the demo workspace.
    pub fn admin_key(&self) -> String {
        self.api_key(crate::DEMO_TENANT, Mode::Test, KeyType::Admin)
            .unwrap_or_default()
    }

    /// Saves the whole state now to `path` (a file, or a directory to hold `state.json`),
    /// atomically, for [`Builder::import`] or `userfront-mock --import` to start from later.
    /// Returns the file written.
    pub fn export_state(&self, path: impl AsRef<Path>) -> std::io::Result<PathBuf> {
        save_state(&self.store, path.as_ref()).map_err(std::io::Error::other)
    }

    /// Stops the server and waits for it to finish (and, with [`Builder::export_on_exit`], for
    /// the state to be saved).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockUserfront {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
