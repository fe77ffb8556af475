"""The processors behind the DSL operators, one module per operator (Kafka's KStream*/KTable*)."""
