internal import CLibWebSockets
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Something that owns one lws connection (`wsi`) and receives its callbacks: a websocket
/// connection or a plain HTTP request.
///
/// Subclasses keep two kinds of state: fields touched only on the loop thread (documented as
/// such) and a lock for whatever other threads read or write. Hence `@unchecked Sendable`.
class LoopEndpoint: @unchecked Sendable {
    /// Handles one callback for this endpoint's connection. Loop thread only.
    func handle(_ reason: lws_callback_reasons, wsi: WSI, input: UnsafeMutableRawPointer?, length: Int) -> Int32 {
        LWS.defaultCallback(wsi, reason, nil, input, length)
    }

    /// The connection is gone (lws sends WSI_DESTROY exactly once). Loop thread only.
    func destroyed() {}

    /// Runs requests other threads queued for this endpoint (writes, closes, flow control).
    /// Loop thread only.
    func serviceRequests() {}

    /// Whether this endpoint's TLS handshake holds the shared side of `TLSGate`. Loop thread only.
    var holdsTLSGate = false

    /// Releases the TLS gate once the handshake is over (established, failed or destroyed).
    func releaseTLSGate() {
        if holdsTLSGate {
            holdsTLSGate = false
            TLSGate.endHandshake()
        }
    }
}

/// Orders OpenSSL initialisation against TLS handshakes, process-wide.
///
/// Every lws context that initialises OpenSSL re-allocates a process-wide SSL ex-data index that
/// lws's certificate-verification callback reads; a handshake verifying while another context
/// initialises then fails. Handshakes take the gate shared (from connect until established or
/// failed), context initialisation takes it exclusively.
enum TLSGate {
    // The pointer is written once (lazily, thread-safely) and only ever passed to pthread calls.
    private nonisolated(unsafe) static let lock: UnsafeMutablePointer<pthread_rwlock_t> = {
        let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        pthread_rwlock_init(lock, nil)
        return lock
    }()

    static func beginHandshake() { pthread_rwlock_rdlock(lock) }
    static func endHandshake() { pthread_rwlock_unlock(lock) }

    static func withExclusiveAccess<T>(_ body: () -> T) -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return body()
    }
}

/// Settings of one lws context and its loop thread.
struct EventLoopConfiguration: Sendable {
    enum Role: Sendable {
        case client
        case server(host: String, port: Int, certificateFile: String?, privateKeyFile: String?)
    }

    var role: Role
    var threadName: String
    /// Per-connection receive buffer; one RECEIVE callback delivers at most this much.
    var receiveBufferSize = 32 * 1024
    /// Client only: CA bundle used instead of the system store.
    var caFile: String?
    /// Client only: seconds of silence before a ping, and before hanging up.
    var keepAlive: (ping: UInt16, hangup: UInt16)?
    /// Seconds lws allows for connecting and for the handshake.
    var connectTimeoutSeconds: UInt32 = 10
    /// How long the loop keeps polling without sleeping after its last activity (socket I/O,
    /// queued requests, task jobs); nil always sleeps in `poll` when idle. Waking a sleeping
    /// thread costs about 20 µs on a virtual machine, so a request/reply exchange that
    /// continues within the window (the caller sends its next call, the server answers) is
    /// picked up without one. Costs CPU only during the window after activity.
    var busyPollWindow: Duration? = nil
    /// Whether the context initialises OpenSSL and creates its TLS contexts. Off for contexts
    /// that never use TLS: lws 4.1.6 re-allocates process-wide OpenSSL ex-data indices for every
    /// TLS-enabled context, and a TLS-enabled context created while another is alive makes the
    /// older one leak its client `SSL_CTX` (about 350 KiB with the system CA store) at destroy.
    var tls = true
}

/// One libwebsockets context serviced by one dedicated, named pthread.
///
/// Threading: `execute`, `schedule` and `stop` may be called from any thread; they queue work
/// under `shared` and wake the loop with `lws_cancel_service`, the only lws call made off the
/// loop thread. Everything else (the `registry`, `liveContext`, the allocations handed to lws)
/// is touched only on the loop thread.
final class LWSEventLoop: @unchecked Sendable {
    private struct ContextRef: @unchecked Sendable { let raw: OpaquePointer }

    private struct Shared: ~Copyable {
        var context: ContextRef?
        var jobs: [@Sendable () -> Void] = []
        var taskJobs: [UnownedJob] = []
        var dirty: [LoopEndpoint] = []
        var wakePending = false
        var accepting = true
        var stopWaiters: [UnsafeContinuation<Void, Never>] = []
        var finished = false
    }

    let configuration: EventLoopConfiguration
    private let shared = LockedValue(Shared())
    private let stopRequested = Atomic<Bool>(false)
    private let threadID = LockedValue<pthread_t?>(nil)
    /// The loop thread's id while it runs (0 otherwise), for `isOnLoopThread`.
    private let loopThread = Atomic<UInt>(0)

    // Loop thread only.
    private(set) var liveContext: OpaquePointer?
    /// Task jobs enqueued from the loop thread itself; run between service iterations.
    private var localTaskJobs: [UnownedJob] = []
    /// Whether this service iteration already woke its own poll for `localTaskJobs`.
    private var localWakeRequested = false
    /// Whether the current service iteration did any work (see `busyPollWindow`).
    private var iterationWasActive = false
    /// False while the loop runs code after which `lws_service` returns anyway (socket I/O
    /// callbacks, queued requests, local task jobs): jobs enqueued there need no wake-up.
    private var localEnqueueNeedsWake = true
    private var registry: [ObjectIdentifier: LoopEndpoint] = [:]
    private var allocations: [UnsafeMutableRawPointer] = []
    private var protocols: UnsafeMutablePointer<lws_protocols>?
    private var retryPolicy: UnsafeMutablePointer<lws_retry_bo_t>?
    private(set) var alpnHTTP1: UnsafeMutablePointer<CChar>?
    /// "GET", kept alive for the context: lws reads the method after the connect call returns.
    private(set) var methodGET: UnsafeMutablePointer<CChar>?

    /// The name of the transport's one lws protocol.
    var protocolName: UnsafePointer<CChar>? { protocols?[0].name }

    /// Server role: decides which websocket paths are accepted.
    var acceptsPath: (@Sendable (String) -> Bool)?
    /// Server role: answers plain HTTP requests.
    var httpHandler: (@Sendable (HTTPRequestHead) -> HTTPResponse?)?
    /// Server role: receives each accepted websocket connection.
    var onAccept: (@Sendable (WebSocketConnection) -> Void)?
    /// Server role: the largest message accepted connections take.
    var serverMaxMessageSize = 64 << 20
    /// Receive buffering limits for connections the loop creates on its own (server role).
    var serverHighWater = (count: 4096, bytes: 16 << 20)

    init(configuration: EventLoopConfiguration) {
        self.configuration = configuration
        TransportLog.installLWSLogger()
    }

    deinit {
        for pointer in allocations { free(pointer) }
        protocols?.deallocate()
        retryPolicy?.deallocate()
    }

    // MARK: Lifecycle

    /// Starts the loop thread and creates the context on it. Returns the listen port (server
    /// role) or 0.
    func start() async throws(TransportError) -> Int {
        let result: Result<Int, TransportError> = await withUnsafeContinuation { continuation in
            let body = ThreadBody { [self] in self.run(started: continuation) }
            let box = Unmanaged.passRetained(body).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
                body.run()
                return nil
            }, box)
            if status != 0 {
                Unmanaged<ThreadBody>.fromOpaque(box).release()
                continuation.resume(returning: .failure(.startFailed("pthread_create failed (\(status))")))
                return
            }
            threadID.withLock { $0 = thread }
        }
        return try result.get()
    }

    /// Stops the loop: live connections are closed, queued work still runs (and fails), the
    /// context is destroyed on the loop thread and the thread is joined.
    func stop() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let alreadyFinished = shared.withLock { shared -> Bool in
                if shared.finished { return true }
                shared.stopWaiters.append(continuation)
                shared.accepting = false
                stopRequested.store(true, ordering: .releasing)
                if let context = shared.context {
                    shared.wakePending = true
                    LWS.cancelService(context.raw)
                }
                return false
            }
            if alreadyFinished { continuation.resume() }
        }
        if let thread = threadID.withLock({ id -> pthread_t? in defer { id = nil }; return id }) {
            if pthread_equal(thread, pthread_self()) != 0 {
                pthread_detach(thread)
            } else {
                pthread_join(thread, nil)
            }
        }
    }

    /// Stops the loop without waiting (used from deinit of owners); the thread detaches.
    func stopDetached() {
        shared.withLock { shared in
            shared.accepting = false
            stopRequested.store(true, ordering: .releasing)
            if let context = shared.context {
                shared.wakePending = true
                LWS.cancelService(context.raw)
            }
        }
        if let thread = threadID.withLock({ id -> pthread_t? in defer { id = nil }; return id }) {
            pthread_detach(thread)
        }
    }

    // MARK: Cross-thread requests

    /// Runs `job` on the loop thread. Returns false (and drops the job) once the loop stops.
    @discardableResult
    func execute(_ job: @escaping @Sendable () -> Void) -> Bool {
        shared.withLock { shared in
            guard shared.accepting else { return false }
            shared.jobs.append(job)
            wake(&shared)
            return true
        }
    }

    /// Queues `endpoint.serviceRequests()` on the loop thread.
    func schedule(_ endpoint: LoopEndpoint) {
        if isOnLoopThread, liveContext != nil {
            // Already on the loop (a task preferring this executor): no wake-up needed.
            endpoint.serviceRequests()
            return
        }
        shared.withLock { shared in
            shared.dirty.append(endpoint)
            wake(&shared)
        }
    }

    private func wake(_ shared: inout Shared) {
        if !shared.wakePending, let context = shared.context {
            shared.wakePending = true
            LWS.cancelService(context.raw)
        }
    }

    // MARK: Loop thread

    private func run(started: UnsafeContinuation<Result<Int, TransportError>, Never>) {
        nameCurrentThread(configuration.threadName)
        guard let context = createContext() else {
            started.resume(returning: .failure(.startFailed(startFailureText)))
            finishStop()
            return
        }
        liveContext = context
        var port = 0
        if case .server = configuration.role { port = LWS.listenPort(context) }
        shared.withLock { $0.context = ContextRef(raw: context) }
        started.resume(returning: .success(port))

        loopThread.store(UInt(pthread_self()), ordering: .releasing)
        let clock = ContinuousClock()
        var lastActivity = clock.now
        while !stopRequested.load(ordering: .acquiring) {
            runLocalTaskJobs(context)
            localWakeRequested = false
            if let window = configuration.busyPollWindow, lastActivity.duration(to: clock.now) < window {
                LWS.serviceWithoutWaiting(context)
            } else {
                LWS.service(context)
            }
            if iterationWasActive {
                iterationWasActive = false
                if configuration.busyPollWindow != nil { lastActivity = clock.now }
            }
        }

        shared.withLock { $0.context = nil }
        // Destroying runs CLOSED and WSI_DESTROY for every live connection: they finish here.
        LWS.destroyContext(context)
        liveContext = nil
        drainRequests()
        for endpoint in registry.values { endpoint.destroyed() }
        registry.removeAll()
        runLocalTaskJobs(nil)
        loopThread.store(0, ordering: .releasing)
        finishStop()
        // Tasks that preferred this executor and are still running continue on the global one.
        for job in localTaskJobs { globalConcurrentExecutor.enqueue(job) }
        localTaskJobs = []
    }

    /// Whether the caller runs on this loop's thread.
    var isOnLoopThread: Bool {
        loopThread.load(ordering: .acquiring) == UInt(pthread_self())
    }

    /// Runs the task jobs enqueued from the loop thread. A bounded batch: if jobs remain (they
    /// keep enqueueing each other), wake the next poll so socket I/O is not starved.
    private func runLocalTaskJobs(_ context: OpaquePointer?) {
        localEnqueueNeedsWake = false
        defer { localEnqueueNeedsWake = true }
        if !localTaskJobs.isEmpty { iterationWasActive = true }
        var rounds = 0
        while !localTaskJobs.isEmpty && rounds < 64 {
            let jobs = localTaskJobs
            localTaskJobs.removeAll(keepingCapacity: true)
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
            rounds += 1
        }
        if !localTaskJobs.isEmpty, let context { LWS.cancelService(context) }
    }

    private var startFailureText: String {
        if case .server(let host, let port, _, _) = configuration.role {
            return "could not listen on \(host):\(port)"
        }
        return "could not create the libwebsockets context"
    }

    private func finishStop() {
        let waiters = shared.withLock { shared -> [UnsafeContinuation<Void, Never>] in
            shared.accepting = false
            shared.finished = true
            defer { shared.stopWaiters = [] }
            return shared.stopWaiters
        }
        // Work queued after the final drain cannot run any more; run it now so it fails cleanly.
        drainRequests()
        for waiter in waiters { waiter.resume() }
    }

    /// Runs `body`, a socket I/O callback, knowing that `lws_service` returns right after it:
    /// task jobs it enqueues for the loop run then, without a wake-up.
    func handlingIO<T>(_ body: () -> T) -> T {
        iterationWasActive = true
        localEnqueueNeedsWake = false
        defer { localEnqueueNeedsWake = true }
        return body()
    }

    /// Runs queued jobs and endpoint requests. Called from EVENT_WAIT_CANCELLED and at stop.
    func drainRequests() {
        localEnqueueNeedsWake = false
        defer { localEnqueueNeedsWake = true }
        let (jobs, taskJobs, dirty) = shared.withLock { shared in
            shared.wakePending = false
            defer {
                shared.jobs = []
                shared.taskJobs = []
                shared.dirty = []
            }
            return (shared.jobs, shared.taskJobs, shared.dirty)
        }
        if !jobs.isEmpty || !taskJobs.isEmpty || !dirty.isEmpty { iterationWasActive = true }
        for job in jobs { job() }
        for endpoint in dirty { endpoint.serviceRequests() }
        for job in taskJobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
    }

    func register(_ endpoint: LoopEndpoint) {
        registry[ObjectIdentifier(endpoint)] = endpoint
    }

    func unregister(_ endpoint: LoopEndpoint) {
        registry.removeValue(forKey: ObjectIdentifier(endpoint))
    }

    /// How many connections the loop currently tracks (tests assert nothing is left behind).
    var registeredCount: Int { registry.count }

    /// The keep-alive policy handed to client connections, if any.
    var keepAlivePolicy: UnsafePointer<lws_retry_bo_t>? { retryPolicy.map { UnsafePointer($0) } }

    private func keep(_ string: String?) -> UnsafeMutablePointer<CChar>? {
        guard let string, let copy = strdup(string) else { return nil }
        allocations.append(UnsafeMutableRawPointer(copy))
        return copy
    }

    private func createContext() -> OpaquePointer? {
        let protocols = UnsafeMutablePointer<lws_protocols>.allocate(capacity: 2)
        protocols.initialize(repeating: lws_protocols(), count: 2)
        protocols[0].name = UnsafePointer(keep("lmstudio"))
        protocols[0].callback = transportCallback
        protocols[0].rx_buffer_size = configuration.receiveBufferSize
        protocols[0].tx_packet_size = 0
        self.protocols = protocols
        alpnHTTP1 = keep("http/1.1")
        methodGET = keep("GET")

        var info = lws_context_creation_info()
        info.protocols = UnsafePointer(protocols)
        info.gid = -1
        info.uid = -1
        info.user = Unmanaged.passUnretained(self).toOpaque()
        // Only contexts that may speak TLS initialise OpenSSL (see `EventLoopConfiguration.tls`;
        // `TLSGate` orders the initialisation against handshakes in flight). Plain-text contexts
        // also skip the system CA store, whose parsing is nearly all of a context's creation cost.
        info.options = configuration.tls ? LWS.optionSSLGlobalInit : LWS.optionDisableOSCACerts
        info.timeout_secs = configuration.connectTimeoutSeconds
        info.connect_timeout_secs = configuration.connectTimeoutSeconds
        info.fd_limit_per_thread = 4096
        switch configuration.role {
        case .client:
            info.port = LWS.noListenPort
            info.client_ssl_ca_filepath = UnsafePointer(keep(configuration.caFile))
            if let keepAlive = configuration.keepAlive {
                let policy = UnsafeMutablePointer<lws_retry_bo_t>.allocate(capacity: 1)
                policy.initialize(to: lws_retry_bo_t())
                policy.pointee.secs_since_valid_ping = keepAlive.ping
                policy.pointee.secs_since_valid_hangup = keepAlive.hangup
                retryPolicy = policy
            }
        case .server(let host, let port, let certificate, let key):
            info.port = Int32(port)
            info.iface = UnsafePointer(keep(host))
            info.ssl_cert_filepath = UnsafePointer(keep(certificate))
            info.ssl_private_key_filepath = UnsafePointer(keep(key))
        }
        if configuration.tls {
            return TLSGate.withExclusiveAccess { LWS.createContext(&info) }
        }
        return LWS.createContext(&info)
    }

    // MARK: Server role (loop thread)

    /// FILTER_PROTOCOL_CONNECTION: decide whether to accept a websocket upgrade.
    func filterIncoming(_ wsi: WSI) -> Int32 {
        let path = LWS.requestPath(wsi) ?? "/"
        guard acceptsPath?(path) ?? true else {
            LWS.respondStatus(wsi, status: 404)
            return 1
        }
        let core = ConnectionCore(
            loop: self, role: .server, path: path, maxMessageSize: serverMaxMessageSize,
            highWater: serverHighWater, headers: []
        )
        core.wsi = wsi
        core.authorization = LWS.authorizationHeader(wsi)
        register(core)
        LWS.setOpaqueUserData(wsi, Unmanaged.passUnretained(core).toOpaque())
        return 0
    }

    /// LWS_CALLBACK_HTTP: answer a plain HTTP request.
    func serveHTTP(_ wsi: WSI, uri: UnsafeMutableRawPointer?) -> Int32 {
        let path = uri.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "/"
        let method = LWS.requestPath(wsi) == nil ? "POST" : "GET"
        let response = httpHandler?(HTTPRequestHead(method: method, path: path))
            ?? HTTPResponse(status: 404, body: Array(#"{"error":"not found"}"#.utf8))
        return LWS.respondHTTP(wsi, status: response.status, contentType: response.contentType, body: response.body)
            ? 0 : -1
    }
}

/// The loop is also a task executor: tasks that prefer it (`withTaskExecutorPreference`) run
/// their nonisolated code on the loop thread, so a reply is handled without a thread hop and a
/// send from there needs no wake-up. Such code must never block.
extension LWSEventLoop: TaskExecutor {
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if isOnLoopThread {
            localTaskJobs.append(job)
            // A job enqueued by a callback that lws ran before polling (a timer: keep-alive
            // hang-up, a timeout) would otherwise wait for the poll's next event, up to the
            // next internal timer. One wake per service iteration is enough.
            if localEnqueueNeedsWake, !localWakeRequested, let context = liveContext {
                localWakeRequested = true
                LWS.cancelService(context)
            }
            return
        }
        let accepted = shared.withLock { shared -> Bool in
            guard !shared.finished else { return false }
            shared.taskJobs.append(job)
            wake(&shared)
            return true
        }
        // After the loop has stopped, its tasks still have to finish somewhere.
        if !accepted { globalConcurrentExecutor.enqueue(job) }
    }
}

/// The closure a new pthread runs.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
