// Launcher for AWS DynamoDB Local that listens on 127.0.0.1 only.
//
// The stock entry point (ServerRunner.main, used by `java -jar DynamoDBLocal.jar`) binds Jetty on
// all interfaces and has no host option. This launcher builds the server from the usual
// command-line arguments, reaches the Jetty Server held in the private field
// DynamoDBProxyServer.server (found with `javap -p`, DynamoDB Local 1.25.1 / Jetty 9.4.53) and sets
// the host of its connector before starting it.
//
// Run with Java's single-file source mode (no compile step):
//   java -cp 'DIR/DynamoDBLocal.jar:DIR/DynamoDBLocal_lib/*' -Djava.library.path=DIR/DynamoDBLocal_lib \
//     local/dynamodb/LocalDynamoDb.java -port 8000 -inMemory -sharedDb -disableTelemetry
//
// System properties:
//   -Dlocalddb.host=ADDR      address to bind (default 127.0.0.1)
//   -Dlocalddb.watchStdin=true exit when stdin reaches end of file, so the server dies with a parent
//                             process that spawned it with a pipe, however that parent ended.
//
// Prints one line "LocalDynamoDb ready http://HOST:PORT" on stdout once the port accepts
// connections. Exit codes: 98 the port is already in use, 1 any other start-up failure.
//
// Note: DynamoDBProxyServer.start() swallows bind failures (prints "Could not start server" and
// returns), so this calls safeStart(), which propagates them. safeStart() also skips the
// telemetry event that start() would send (telemetry is disabled by -disableTelemetry anyway).

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.BindException;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;

public class LocalDynamoDb {
  static final int EXIT_PORT_IN_USE = 98;

  public static void main(String[] args) throws Exception {
    String host = System.getProperty("localddb.host", "127.0.0.1");

    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Server server = jettyServerOf(proxy);

    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) {
      die(1, "no Jetty connector found in DynamoDBProxyServer.server");
    }
    for (Connector connector : connectors) {
      if (!(connector instanceof AbstractNetworkConnector)) {
        die(1, "unexpected Jetty connector type " + connector.getClass().getName());
      }
      ((AbstractNetworkConnector) connector).setHost(host);
    }

    try {
      proxy.safeStart();
    } catch (Exception e) {
      if (isBindFailure(e)) {
        try {
          server.stop();
        } catch (Exception ignored) {
          // exiting anyway
        }
        int port = ((NetworkConnector) connectors[0]).getPort();
        die(EXIT_PORT_IN_USE, "port " + port + " is already in use on " + host + ": " + e.getMessage());
      }
      throw e;
    }

    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    proxy.stop();
                  } catch (Exception ignored) {
                    // the JVM is going away
                  }
                },
                "LocalDynamoDb-shutdown"));

    if (Boolean.getBoolean("localddb.watchStdin")) {
      Thread watcher = new Thread(LocalDynamoDb::exitOnStdinEof, "LocalDynamoDb-stdin-watch");
      watcher.setDaemon(true);
      watcher.start();
    }

    NetworkConnector first = (NetworkConnector) connectors[0];
    System.out.println("LocalDynamoDb ready http://" + first.getHost() + ":" + first.getLocalPort());
    System.out.flush();
    server.join();
  }

  private static Server jettyServerOf(DynamoDBProxyServer proxy) throws ReflectiveOperationException {
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Object value = field.get(proxy);
    if (!(value instanceof Server)) {
      die(1, "DynamoDBProxyServer.server is not a Jetty Server: " + value);
    }
    return (Server) value;
  }

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return true;
      }
      if (t instanceof IOException && String.valueOf(t.getMessage()).contains("Failed to bind")) {
        return true;
      }
    }
    return false;
  }

  private static void exitOnStdinEof() {
    byte[] buffer = new byte[256];
    try (InputStream in = System.in) {
      while (in.read(buffer) >= 0) {
        // discard
      }
    } catch (IOException ignored) {
      // treat a broken stdin like end of file
    }
    System.exit(0);
  }

  private static void die(int code, String message) {
    System.err.println("LocalDynamoDb: " + message);
    System.exit(code);
  }
}
