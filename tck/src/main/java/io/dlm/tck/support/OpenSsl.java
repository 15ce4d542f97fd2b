package io.dlm.tck.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes test certificates with the {@code openssl} command, for backends' tests of their TLS
 * settings, which the contract leaves to each backend beside its E1a configuration: EC P-256 keys as
 * unencrypted PKCS#8 PEM files, which the JDK, Netty and the engines read, and certificates valid
 * for two days. What a backend needs beyond that (key stores, several authorities) its tests build
 * from these with {@link #run}.
 */
public final class OpenSsl {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String DAYS = "2";

    private OpenSsl() {}

    /**
     * Makes a self-signed certificate authority.
     *
     * @param dir the directory {@code openssl} runs in and logs to
     * @param key where its new key goes
     * @param certificate where its certificate goes
     * @param commonName the {@code CN} of its subject
     * @throws IOException if {@code openssl} is missing or fails
     * @throws InterruptedException if the test thread is interrupted while it runs
     */
    public static void authority(Path dir, Path key, Path certificate, String commonName)
            throws IOException, InterruptedException {
        newKey(dir, key, certificate, commonName, "-x509", "-days", DAYS);
    }

    /**
     * Makes a new key and a certificate for it signed by an authority made by {@link #authority}.
     * The request and extension files it writes on the way sit beside {@code certificate}.
     *
     * @param dir the directory {@code openssl} runs in and logs to
     * @param caCertificate the authority's certificate
     * @param caKey the authority's key
     * @param key where the new key goes
     * @param certificate where the new certificate goes
     * @param commonName the {@code CN} of its subject
     * @param extensions the certificate's extensions, one {@code name=value} a line, e.g. {@code
     *     subjectAltName=IP:127.0.0.1}
     * @throws IOException if {@code openssl} is missing or fails
     * @throws InterruptedException if the test thread is interrupted while it runs
     */
    public static void signed(
            Path dir, Path caCertificate, Path caKey, Path key, Path certificate, String commonName, String extensions)
            throws IOException, InterruptedException {
        Path request = certificate.resolveSibling(certificate.getFileName() + ".csr");
        Path extensionFile = Files.writeString(
                certificate.resolveSibling(certificate.getFileName() + ".ext"),
                extensions.endsWith("\n") ? extensions : extensions + "\n",
                StandardCharsets.US_ASCII);
        newKey(dir, key, request, commonName, "-new");
        run(
                dir,
                "x509",
                "-req",
                "-in",
                request.toString(),
                "-CA",
                caCertificate.toString(),
                "-CAkey",
                caKey.toString(),
                "-CAcreateserial",
                "-out",
                certificate.toString(),
                "-days",
                DAYS,
                "-extfile",
                extensionFile.toString());
    }

    /**
     * Makes a new EC P-256 key and, with {@code mode}, a request or a self-signed certificate for it.
     */
    private static void newKey(Path dir, Path key, Path out, String commonName, String... mode)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("req"));
        args.addAll(List.of(mode));
        args.addAll(List.of(
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                out.toString(),
                "-subj",
                "/CN=" + commonName));
        run(dir, args.toArray(String[]::new));
    }

    /**
     * Runs {@code openssl} with {@code args} in {@code dir}, its output appended to {@code
     * openssl.log} there.
     *
     * @param dir the directory it runs in
     * @param args its arguments, e.g. {@code pkcs12 -export ...}
     * @throws IOException if it is missing, fails, or takes more than a minute; the message holds
     *     the command and what it printed
     * @throws InterruptedException if the test thread is interrupted while it runs
     */
    public static void run(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Path log = dir.resolve("openssl.log");
        // Output to a file, not a pipe, so that the timeout holds even if openssl writes a lot.
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        boolean exited = process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (!exited || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException(
                    String.join(" ", command) + (exited ? " failed:\n" : " timed out:\n") + Files.readString(log));
        }
    }
}
