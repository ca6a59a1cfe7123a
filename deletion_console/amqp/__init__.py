"""The AMQP interface: deletion requests by message, consumed from the events broker."""
