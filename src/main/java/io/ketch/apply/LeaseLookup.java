package io.ketch.apply;

/** Tells the applier whether a lease exists (the member's applier asks its lessor; tests may fix the answer). */
@FunctionalInterface
public interface LeaseLookup {

    /** A lookup under which no lease exists: every lease id gets LEASE_NOT_FOUND. */
    LeaseLookup NONE = id -> false;

    boolean exists(long leaseId);
}
