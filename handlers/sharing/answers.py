"""A private answer made public: the people it mentions are notified only when it is posted
where they can see it. The answer carries a Share button; pressing it (or the command's
trailing word `share`, see the grammar) posts the same message to the conversation through
the outbox, with who shared it; the asker gets a short confirmation.
"""

from __future__ import annotations

from handlers.chat.model import (
    Actions,
    Actor,
    Button,
    Context,
    Message,
    Place,
    Post,
    Reply,
    Target,
)
from handlers.chat.texts import phrase
from handlers.desk import Desk

ACTION = "share.answer"  # value: the command whose answer to share


def offer(reply: Reply, command: str) -> Reply:
    """The answer with a Share button under it (refusals and forms stay as they are)."""
    if not reply.ok or reply.message is None:
        return reply
    button = Button(phrase("button.share"), ACTION, command)
    message = Message((*reply.message.blocks, Actions((button,))), reply.message.fallback)
    return Reply(message, ephemeral=reply.ephemeral, form=reply.form)


def share(desk: Desk, actor: Actor, place: Place, reply: Reply) -> Reply:
    """Post the answer in the place's conversation; the asker hears it was shared."""
    if not reply.ok or reply.message is None:
        return reply
    with desk.for_channel():  # the post is the channel's; the answer below is the asker's
        by = Context(phrase("share.by", actor=actor.name))
    message = Message((*reply.message.blocks, by), reply.message.fallback)
    target = Target("conversation", place.channel.key, reply_to=place.thread)
    with desk.writing() as session:
        desk.post(session, place.channel.platform, place.channel.scope, Post(target, message))
    done = phrase("share.done")
    return Reply(Message.text(done), ephemeral=True)
