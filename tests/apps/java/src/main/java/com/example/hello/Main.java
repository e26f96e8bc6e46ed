package com.example.hello;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;

/**
 * A small HTTP server on the JDK alone: GET / answers with the message read
 * from config/message.txt at request time.
 */
public final class Main {
    private static final Path MESSAGE = Path.of("config", "message.txt");

    private Main() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress("0.0.0.0", port), 0);
        server.createContext("/", Main::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        // The JVM runs shutdown hooks on SIGTERM (docker stop) and exits.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
        server.start();
        System.out.println("listening on :" + port);
    }

    private static void handle(HttpExchange exchange) throws IOException {
        int status;
        String body;
        if (!"GET".equals(exchange.getRequestMethod()) || !"/".equals(exchange.getRequestURI().getPath())) {
            status = 404;
            body = "not found\n";
        } else {
            try {
                body = "java: " + Files.readString(MESSAGE, StandardCharsets.UTF_8);
                status = 200;
            } catch (IOException e) {
                System.err.println("reading the message: " + e);
                status = 500;
                body = "no message\n";
            }
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
