package io.dlm.backend.etcd;

import io.dlm.tck.support.OpenSsl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A certificate authority, a server and a client certificate for one test, made with the {@code
 * openssl} command ({@link OpenSsl}): EC P-256 keys as PKCS#8 PEM files, which both etcd and jetcd
 * (Netty) read, valid for two days. The server certificate names {@code 127.0.0.1} and {@code
 * localhost}.
 *
 * @param ca the authority's certificate
 * @param serverCert the server's certificate, signed by the authority
 * @param serverKey the server's key
 * @param clientCert a client certificate signed by the authority
 * @param clientKey its key
 */
record TestCertificates(Path ca, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {

    /**
     * Makes a new authority and its certificates under {@code dir}.
     *
     * @param dir an empty directory of the test's
     * @param name tells several sets apart, e.g. {@code good}
     * @return the files
     */
    static TestCertificates create(Path dir, String name) {
        Path base = dir.resolve(name);
        try {
            Files.createDirectories(base);
            Path caKey = base.resolve("ca.key");
            Path ca = base.resolve("ca.crt");
            OpenSsl.authority(base, caKey, ca, "dlm-test-ca-" + name);
            Path serverKey = base.resolve("server.key");
            Path serverCert = base.resolve("server.crt");
            OpenSsl.signed(
                    base,
                    ca,
                    caKey,
                    serverKey,
                    serverCert,
                    "localhost",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
            Path clientKey = base.resolve("client.key");
            Path clientCert = base.resolve("client.crt");
            OpenSsl.signed(base, ca, caKey, clientKey, clientCert, "dlm-test-client", "extendedKeyUsage=clientAuth\n");
            return new TestCertificates(ca, serverCert, serverKey, clientCert, clientKey);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
