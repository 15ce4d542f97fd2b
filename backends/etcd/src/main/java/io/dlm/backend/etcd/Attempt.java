package io.dlm.backend.etcd;

/**
 * One acquisition attempt of the runtime, the key of an unsettled lease (X5).
 *
 * @param resourceId the resource
 * @param clientId the would-be holder
 * @param id the runtime's id of the attempt, also written into the key's value
 */
record Attempt(String resourceId, String clientId, long id) {}
