/**
 * Lock clients in other JVMs, for the tests of remote backends that need a second process: a
 * holder killed with {@code SIGKILL}, several JVMs contending for one resource (M1), and several
 * JVMs campaigning for one leadership while leaders are killed and paused (S3).
 */
package io.dlm.tck.jvm;
