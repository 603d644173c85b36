package dev.downloader;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Group commit: callers that ask for a commit while one is under way wait for the next, and one commit serves them
 * all. A caller returns once a commit that began after its call has ended, so whatever it did before calling is in
 * that commit. Each call names what it needs made durable (a directory to sync, say); a commit is given every name
 * asked for since the last one began, each once. Sixteen downloads finishing together then cost one database flush or
 * one sync of their directory, not sixteen in a row (in a flood of small files, the flush before each outcome was a
 * third of the download workers' time, each waiting its turn).
 *
 * @param <T> what a call asks to be made durable
 * @param <E> what a failed commit throws
 */
public final class GroupCommit<T, E extends Exception> {

    /** The commit itself, given what the calls it serves asked for. */
    public interface Action<T, E extends Exception> {
        void run(Set<T> asked) throws E;
    }

    private final Action<T, E> action;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ended = lock.newCondition();
    /** Asked for since the last commit began. */
    private Set<T> asked = new HashSet<>();
    /** Calls so far, numbered from 1. */
    private long called;
    /** Every call up to this number has been served by a commit that began after it. */
    private long served;
    private boolean committing;

    public GroupCommit(Action<T, E> action) {
        this.action = action;
    }

    /** Returns once a commit that began after this call has ended; throws when the commit made for it failed. */
    public void commit(T item) throws E {
        long covers;
        Set<T> batch;
        lock.lock();
        try {
            long mine = ++called;
            asked.add(item);
            // a commit under way may have begun before this call: wait for it, then for the one that serves this call
            while (committing && served < mine) {
                ended.awaitUninterruptibly();
            }
            if (served >= mine) {
                return;
            }
            committing = true;
            covers = called;
            batch = asked;
            asked = new HashSet<>();
        } finally {
            lock.unlock();
        }
        boolean done = false;
        try {
            action.run(batch);
            done = true;
        } finally {
            lock.lock();
            try {
                committing = false;
                if (done) {
                    served = covers;
                } else {
                    // after a failure, a waiting caller makes the next try, for what this one was asked too
                    asked.addAll(batch);
                }
                ended.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
