"""The kafka-python client behind the processor's seams: one module per role (source, outbox),
and the connection options they share. Nothing outside this package imports kafka-python."""
