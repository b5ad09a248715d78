package io.upshift.bpmn;

import io.camunda.client.CamundaClient;
import io.camunda.zeebe.process.test.api.ZeebeTestEngine;
import io.camunda.zeebe.process.test.engine.EngineFactory;
import java.net.URI;
import java.time.Duration;

/** A real in-memory Zeebe engine with its gRPC gateway and a client for it, for model tests. */
record TestEngine(ZeebeTestEngine engine, CamundaClient client) implements AutoCloseable {

  static TestEngine start() {
    ZeebeTestEngine engine = EngineFactory.create();
    engine.start();
    CamundaClient client =
        CamundaClient.newClientBuilder()
            .grpcAddress(URI.create("http://" + engine.getGatewayAddress()))
            .preferRestOverGrpc(false)
            // A loaded build machine answers slowly; the 10 s default fails tests that are right.
            .defaultRequestTimeout(Duration.ofMinutes(1))
            .build();
    return new TestEngine(engine, client);
  }

  @Override
  public void close() {
    client.close();
    engine.stop();
  }
}
