package dev.downloader.state;

import java.sql.SQLException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit of flushes: callers that ask for a flush while one is under way wait for the next, and one flush serves
 * them all. A caller returns once a flush that began after its call has ended, so whatever it committed before calling
 * is in that flush. Sixteen downloads finishing together then cost one flush, not sixteen in a row (in a flood of small
 * files, the flush before each outcome was a third of the download workers' time, each waiting its turn).
 */
final class GroupFlush {

    /** The flush itself. */
    interface Action {
        void run() throws SQLException;
    }

    private final Action action;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ended = lock.newCondition();
    /** Calls so far, numbered from 1. */
    private long called;
    /** Every call up to this number has been served by a flush that began after it. */
    private long served;
    private boolean flushing;

    GroupFlush(Action action) {
        this.action = action;
    }

    /** Returns once a flush that began after this call has ended; throws when the flush made for it failed. */
    void flush() throws SQLException {
        long covers;
        lock.lock();
        try {
            long mine = ++called;
            // a flush under way may have begun before this call: wait for it, then for the one that serves this call
            while (flushing && served < mine) {
                ended.awaitUninterruptibly();
            }
            if (served >= mine) {
                return;
            }
            flushing = true;
            covers = called;
        } finally {
            lock.unlock();
        }
        boolean done = false;
        try {
            action.run();
            done = true;
        } finally {
            lock.lock();
            try {
                flushing = false;
                if (done) {
                    served = covers;
                }
                // after a failure, a waiting caller makes the next try
                ended.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
