/**
 * Lock clients in other JVMs, for the tests of remote backends that need a second process: a
 * holder killed with {@code SIGKILL}, and several JVMs contending for one resource (M1).
 */
package io.dlm.tck.jvm;
