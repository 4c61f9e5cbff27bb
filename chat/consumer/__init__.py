from chat.consumer.chat import ChatConsumer

__all__ = ["ChatConsumer"]
