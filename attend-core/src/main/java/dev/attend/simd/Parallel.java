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
    private static final int THREADS = configuredThreads();
    private static final ThreadLocal<Boolean> IN_WORKER = ThreadLocal.withInitial(() -> false);
    private static final ExecutorService POOL = THREADS <= 1 ? null : Executors.newFixedThreadPool(THREADS - 1, daemonFactory());

    private Parallel() {}

    /** The number of workers kernels split their work over. */
    public static int threads() {
        return THREADS;
    }

    private static int configuredThreads() {
        String prop = System.getProperty("attend.threads");
        String env = System.getenv("ATTEND_THREADS");
        String raw = prop != null ? prop : env;
        if (raw == null || raw.isBlank()) return Runtime.getRuntime().availableProcessors();
        try {
            int n = Integer.parseInt(raw.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw new IllegalArgumentException((prop != null ? "-Dattend.threads" : "ATTEND_THREADS")
                + ": expected a positive integer, got '" + raw + "'");
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
        int workers = Math.max(1, Math.min(THREADS, maxWorkers));
        if (workers == 1 || POOL == null || IN_WORKER.get()) {
            for (int w = 0; w < workers; w++) body.run(w, workers);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(workers - 1);
        for (int w = 1; w < workers; w++) {
            final int id = w;
            futures.add(POOL.submit(() -> body.run(id, workers)));
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
