package io.dlm.backend.etcd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority, a server and a client certificate for one test, made with the {@code
 * openssl} command: EC P-256 keys as PKCS#8 PEM files, which both etcd and jetcd (Netty) read, valid
 * for two days. The server certificate names {@code 127.0.0.1} and {@code localhost}.
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
            openssl(
                    base,
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    caKey.toString(),
                    "-out",
                    ca.toString(),
                    "-days",
                    "2",
                    "-subj",
                    "/CN=dlm-test-ca-" + name);
            Path serverKey = base.resolve("server.key");
            Path serverCert = base.resolve("server.crt");
            sign(
                    base,
                    ca,
                    caKey,
                    serverKey,
                    serverCert,
                    "/CN=localhost",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n");
            Path clientKey = base.resolve("client.key");
            Path clientCert = base.resolve("client.crt");
            sign(base, ca, caKey, clientKey, clientCert, "/CN=dlm-test-client", "extendedKeyUsage=clientAuth\n");
            return new TestCertificates(ca, serverCert, serverKey, clientCert, clientKey);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sign(Path dir, Path ca, Path caKey, Path key, Path cert, String subject, String extensions)
            throws IOException {
        Path request = dir.resolve(cert.getFileName() + ".csr");
        Path extFile = Files.writeString(dir.resolve(cert.getFileName() + ".ext"), extensions, StandardCharsets.UTF_8);
        openssl(
                dir,
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                request.toString(),
                "-subj",
                subject);
        openssl(
                dir,
                "x509",
                "-req",
                "-in",
                request.toString(),
                "-CA",
                ca.toString(),
                "-CAkey",
                caKey.toString(),
                "-CAcreateserial",
                "-out",
                cert.toString(),
                "-days",
                "2",
                "-extfile",
                extFile.toString());
    }

    private static void openssl(Path dir, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Path log = dir.resolve("openssl.log");
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " failed:\n" + Files.readString(log));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
