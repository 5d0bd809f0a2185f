package io.ketch.raft;

/** The highest log index a voter has acknowledged as stored; 0 if none or unknown. */
@FunctionalInterface
interface AckedIndexer {
    long ackedIndex(long id);
}
