package io.ketch.apply;

/** Tells the applier whether a lease exists (the lease package answers; for now: none do). */
@FunctionalInterface
public interface LeaseLookup {

    /** A lookup under which no lease exists: every lease id gets LEASE_NOT_FOUND. */
    LeaseLookup NONE = id -> false;

    boolean exists(long leaseId);
}
