"""The librdkafka client (confluent-kafka, the `librdkafka` extra) behind the processor's seams:
one module per role (source, outbox), and the configuration they share. Nothing outside this
package imports confluent-kafka."""
