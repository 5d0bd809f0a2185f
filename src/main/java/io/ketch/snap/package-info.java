/**
 * Snapshot files: the whole state machine at an applied Raft index.
 *
 * <h2>File format</h2>
 * Big-endian throughout ({@link java.io.DataOutputStream}).
 * <pre>
 *   int32 magic 0x4b534e50 ("KSNP"), int32 version 1
 *   int64 index, int64 term, int32 extra length, extra bytes
 *   records, each: byte tag 1, byte namespace, int32 key length, key, int32 value length, value
 *   byte tag 0 (end of records)
 *   trailer: int64 record count, int32 CRC32C of every byte before it (including the count)
 * </pre>
 * A reader verifies the trailer checksum over the whole file before it hands out the metadata or any
 * record ({@link io.ketch.snap.SnapshotReader#open}).
 */
package io.ketch.snap;
