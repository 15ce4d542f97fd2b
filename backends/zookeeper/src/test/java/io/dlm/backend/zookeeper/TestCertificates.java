package io.dlm.backend.zookeeper;

import io.dlm.tck.support.OpenSsl;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Certificates made for one test run with {@code openssl} ({@link OpenSsl}: EC P-256 keys, valid
 * two days): a test authority, a server certificate for {@code 127.0.0.1}/{@code localhost} and two
 * client certificates it signed, and a second authority that signed nothing the server has. Key
 * stores are PKCS#12 files with {@link #PASSWORD}; trust stores are PEM files of one authority.
 *
 * @param caPem the test authority's certificate, as a PEM trust store
 * @param otherCaPem an authority that did not sign the server's certificate
 * @param server the server's key store
 * @param client a client's key store, subject {@code CN=dlm-client}
 * @param intruder another client's key store signed by the same authority, subject {@code
 *     CN=intruder}
 * @param clientPem the {@code client} key and certificate as one PEM file (an unencrypted PKCS#8
 *     key, then the certificate), which ZooKeeper reads as a PEM key store
 */
record TestCertificates(Path caPem, Path otherCaPem, Path server, Path client, Path intruder, Path clientPem) {

    /** The password of every key store. */
    static final String PASSWORD = "test-secret";

    private static final String CA = "dlm-test-ca";

    /**
     * Makes all files in {@code dir}.
     *
     * @param dir an empty directory
     * @return the files
     * @throws IOException if {@code openssl} is missing or fails
     * @throws InterruptedException if the test thread is interrupted
     */
    static TestCertificates create(Path dir) throws IOException, InterruptedException {
        Path ca = authority(dir, CA);
        Path otherCa = authority(dir, "dlm-other-ca");
        Path server = signed(dir, "server", "localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        Path client = signed(dir, "client", "dlm-client", "extendedKeyUsage=clientAuth");
        Path intruder = signed(dir, "intruder", "intruder", "extendedKeyUsage=clientAuth");
        Path clientPem = dir.resolve("client-key-and-certificate.pem");
        Files.writeString(
                clientPem,
                Files.readString(dir.resolve("client.key"), StandardCharsets.US_ASCII)
                        + Files.readString(dir.resolve("client.pem"), StandardCharsets.US_ASCII),
                StandardCharsets.US_ASCII);
        return new TestCertificates(ca, otherCa, server, client, intruder, clientPem);
    }

    private static Path authority(Path dir, String name) throws IOException, InterruptedException {
        Path pem = dir.resolve(name + ".pem");
        OpenSsl.authority(dir, dir.resolve(name + ".key"), pem, name);
        return pem;
    }

    /** A key and a certificate signed by {@code dlm-test-ca}, with the chain, as PKCS#12. */
    private static Path signed(Path dir, String name, String commonName, String extension)
            throws IOException, InterruptedException {
        Path key = dir.resolve(name + ".key");
        Path certificate = dir.resolve(name + ".pem");
        Path caPem = dir.resolve(CA + ".pem");
        OpenSsl.signed(dir, caPem, dir.resolve(CA + ".key"), key, certificate, commonName, extension);
        Path store = dir.resolve(name + ".p12");
        OpenSsl.run(
                dir,
                "pkcs12",
                "-export",
                "-in",
                certificate.toString(),
                "-inkey",
                key.toString(),
                "-certfile",
                caPem.toString(),
                "-name",
                name,
                "-passout",
                "pass:" + PASSWORD,
                "-out",
                store.toString());
        return store;
    }
}
