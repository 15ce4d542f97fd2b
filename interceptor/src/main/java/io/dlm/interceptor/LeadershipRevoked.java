package io.dlm.interceptor;

/**
 * Fired when this application stopped being the leader of a name listed in {@code
 * dlm.leadership.names} (S4): the lease of the term that a {@link LeadershipGranted} with the same
 * fencing token announced was lost, or the application resigned as it shut down. Stop the leader's
 * work: another node may lead already. After a loss the application campaigns again and may be
 * granted the name anew, with a new token.
 *
 * <p>Observers run synchronously on the campaign's own thread, after the lock was released or
 * found lost, one event at a time per name and in order. On resignation the event is fired during
 * shutdown, before the application's {@code LockManager} closes, while application-scoped beans
 * still work. An observer that throws is logged and ignored.
 *
 * @param name the leadership's name
 * @param clientId the application's client id
 * @param fencingToken the token of the term that ended
 * @param reason why it ended
 */
public record LeadershipRevoked(String name, String clientId, long fencingToken, Reason reason) {

    /** Why a term of leadership ended. */
    public enum Reason {
        /**
         * The lease was lost (K3): a renewal was refused, no renewal was confirmed by the lease's
         * local deadline, or the engine reported the lease gone. The campaign goes on.
         */
        LOST,
        /** The application resigned as it shut down: the lock was released (S3, S4). */
        RESIGNED
    }
}
