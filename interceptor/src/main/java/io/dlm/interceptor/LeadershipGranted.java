package io.dlm.interceptor;

/**
 * Fired when this application became the leader of a name listed in {@code
 * dlm.leadership.names} (S4): its campaign (S3) holds the name's lock, and the runtime keeps the
 * lease alive until the application shuts down or the lease is lost, which a {@link
 * LeadershipRevoked} with the same fencing token reports.
 *
 * <p>Observers run synchronously on the campaign's own thread, one event at a time per name and in
 * order; the next {@link LeadershipRevoked} for the name waits until they return. Start the
 * leader's work on a thread of the application's and return; hand the fencing token to whatever
 * that work writes, so that a leader that stalled past its lease cannot overwrite its successor's
 * work (F1, M3). An observer that throws is logged and ignored: the application stays leader.
 *
 * <p>Every name listed is campaigned for, from start-up to shutdown; observers pick their names by
 * {@link #name()}. The event carries plain values, since this artifact does not depend on {@code
 * dlm-api}: the lease itself stays with the runtime.
 *
 * @param name the leadership's name: the resource the campaign locks (S3)
 * @param clientId the application's client id ({@code dlm.client-id}, default host name and
 *     process id)
 * @param fencingToken the token of this term's lease, greater than every earlier leader's (F1)
 */
public record LeadershipGranted(String name, String clientId, long fencingToken) {}
