package io.dlm.samples;

/**
 * A unit of work that must be processed exactly once.
 *
 * @param id the job's id; the lock on {@code job-<id>} guards it
 * @param amount what processing the job adds to the ledger
 */
public record Job(int id, long amount) {}
