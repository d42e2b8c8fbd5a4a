package dev.attend.simd;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * The one shared thread pool of Attend, sized to the available processors unless
 * {@code -Dattend.threads=N} or the environment variable {@code ATTEND_THREADS} says otherwise.
 *
 * <p>Work is split statically: worker {@code t} of {@code T} always gets the same items, so a kernel
 * whose workers write disjoint outputs (or reduce in worker order) is bit-reproducible for a given
 * thread count. Tasks submitted from inside a worker run inline, so nesting never deadlocks.
 */
public final class Parallel {
    /** The most workers a setting may ask for. */
    public static final int MAX_THREADS = 1024;
    // Either the thread count or, for a bad setting, the message every call repeats: a static initializer that
    // threw would surface as an ExceptionInInitializerError with a stack trace instead of one line.
    private static final Object CONFIG = configuredThreads();
    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);
    private static volatile int cap = Integer.MAX_VALUE;  // a temporary lower limit (thread-scaling measurements)

    private Parallel() {}

    /**
     * The number of workers kernels split their work over.
     *
     * @throws IllegalArgumentException naming the setting when {@code -Dattend.threads} or {@code ATTEND_THREADS} is not
     *     an integer in [1, {@value #MAX_THREADS}]
     */
    public static int threads() {
        if (CONFIG instanceof String error) throw new IllegalArgumentException(error);
        return (Integer) CONFIG;
    }

    /** The workers a parallel region gets now: {@link #threads()}, or fewer inside {@link #withThreads}. */
    public static int workers() {
        return Math.min(threads(), cap);
    }

    /**
     * Runs {@code body} with at most {@code n} workers per parallel region (for measuring how a kernel scales with
     * threads in one JVM); results of kernels that reduce in worker order follow the capped count. Not for
     * concurrent use: the cap is global while {@code body} runs.
     */
    public static synchronized <T> T withThreads(int n, java.util.function.Supplier<T> body) {
        if (n < 1 || n > threads()) throw new IllegalArgumentException("n: expected 1 to " + threads() + " threads, got " + n);
        int before = cap;
        cap = n;
        try {
            return body.get();
        } finally {
            cap = before;
        }
    }

    /** The pool, made on first use (never for one thread). */
    private static final class Pool {
        static final ExecutorService POOL = threads() <= 1 ? null : Executors.newFixedThreadPool(threads() - 1, daemonFactory());
    }

    private static Object configuredThreads() {
        String prop = System.getProperty("attend.threads");
        String env = System.getenv("ATTEND_THREADS");
        String raw = prop != null ? prop : env;
        if (raw == null || raw.isBlank()) return Math.min(MAX_THREADS, Runtime.getRuntime().availableProcessors());
        try {
            int n = Integer.parseInt(raw.trim());
            if (n >= 1 && n <= MAX_THREADS) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the message below
        }
        return (prop != null ? "-Dattend.threads" : "ATTEND_THREADS") + ": expected an integer from 1 to " + MAX_THREADS
                + " (worker threads), got '" + raw + "'";
    }

    private static ThreadFactory daemonFactory() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(() -> {
                IN_WORKER.set(true);
                r.run();
            }, "attend-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** A body that a worker runs: it handles worker {@code worker} of {@code workers}. */
    @FunctionalInterface
    public interface Worker {
        void run(int worker, int workers);
    }

    /**
     * Runs {@code body} on {@code min(threads(), maxWorkers)} workers and waits for all of them;
     * the calling thread is worker 0. Exceptions in a worker are rethrown here.
     */
    public static void run(int maxWorkers, Worker body) {
        int workers = Math.max(1, Math.min(workers(), maxWorkers));
        if (workers == 1 || IN_WORKER.get()) {
            for (int w = 0; w < workers; w++) body.run(w, workers);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(workers - 1);
        for (int w = 1; w < workers; w++) {
            final int id = w;
            futures.add(Pool.POOL.submit(() -> body.run(id, workers)));
        }
        RuntimeException failure = null;
        boolean wasWorker = IN_WORKER.get();
        IN_WORKER.set(true);
        try {
            body.run(0, workers);
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            IN_WORKER.set(wasWorker);
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for attend workers", e);
            } catch (ExecutionException e) {
                if (failure == null) {
                    Throwable c = e.getCause();
                    failure = c instanceof RuntimeException re ? re : new IllegalStateException(c);
                }
            }
        }
        if (failure != null) throw failure;
    }

    /** Items {@code 0..n-1} dealt round-robin to workers: worker t handles t, t+T, t+2T, ... */
    @FunctionalInterface
    public interface Item {
        void run(int item, int worker);
    }

    public static void forEach(int n, Item body) {
        run(n, (w, t) -> {
            for (int i = w; i < n; i += t) body.run(i, w);
        });
    }
}
