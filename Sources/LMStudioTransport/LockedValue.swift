#if canImport(Glibc)
package import Glibc
#elseif canImport(Musl)
package import Musl
#endif

/// A value guarded by a `pthread_mutex_t`.
///
/// Used instead of `Synchronization.Mutex` throughout the package: on Linux, `Mutex` locks with
/// raw futex calls inside the (uninstrumented) standard library, so ThreadSanitizer cannot see
/// its happens-before edges and reports every guarded access as a race. pthread mutexes are
/// intercepted by the sanitizer, and cost the same uncontended.
package final class LockedValue<Value: ~Copyable>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var value: Value

    /// Creates the lock around `value`.
    package init(_ value: consuming Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inlinable
    package func withLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        lock()
        defer { unlock() }
        return try body(&value)
    }

    @inlinable
    func lock() { pthread_mutex_lock(mutex) }

    @inlinable
    func unlock() { pthread_mutex_unlock(mutex) }
}

/// Reflection (`dump`, `Mirror`, `String(reflecting:)`) shows no children: reading the value
/// without the lock would race, and a `~Copyable` value cannot be copied out at all (the
/// runtime traps), which made `dump` of a connected client crash.
extension LockedValue: CustomReflectable where Value: ~Copyable {
    package var customMirror: Mirror { Mirror(self, children: [:]) }
}
