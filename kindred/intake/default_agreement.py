"""Kindred's example group agreement: a starting point a practice reads, changes to fit
how it works, and publishes (``manage.py load_default_agreement`` or the "Start from
Kindred's example" button on the agreements page).

Written for Kindred in plain words. It covers what CLINICAL.md asks of a written group
agreement (AGPA 2007): confidentiality and its limits, attendance and punctuality,
notice of absence, contact between members outside the group, social media, notice
before leaving, and removal. It is not legal advice: a practice should have its own
policies and its state's rules checked before members sign it.
"""

from __future__ import annotations

DEFAULT_AGREEMENT_NAME = "Group agreement"

DEFAULT_AGREEMENT_SUMMARY = "First version, from Kindred's example."

DEFAULT_AGREEMENT_TEXT = """\
# Our group agreement

A group works when everyone in it can trust the others. This agreement is how we look
after that trust together. Please read it slowly, ask your facilitator about anything
that is unclear, and sign it only when you are ready to keep it.

## What is said in the group stays in the group

- You may talk about what **you** learned or felt. Please do not share who was there,
  or anything another member said or did, with anyone outside the group, including
  your family and friends.
- Members' first names and stories stay here, even after the group ends.
- If you see another member somewhere else, let them decide whether to say hello.
  A nod is fine; questions about the group are not.

## What your facilitators keep private, and when they cannot

Your facilitators keep what you share confidential, as the law and their professional
rules require. There are a few times when they must act or share information, even
without your agreement:

- if they believe you, or someone else, is in serious and immediate danger;
- if they learn that a child, an older adult or a dependent adult is being harmed or
  neglected;
- if a court orders them to share records.

Your facilitators will talk with you first whenever they safely can. Other members are
not bound by law the way your facilitators are, which is why everyone in the group
makes the promise above.

## Coming to the group, and on time

- Come to every session you can. The group grows when the same people meet each week.
- Join a few minutes early, especially online, so the group can start together.
- Online, find a private place where no one else can see or hear the group, use
  headphones if others are nearby, and keep your camera on unless you have agreed
  otherwise with your facilitator.
- Come to sessions sober. If you have taken alcohol or drugs that affect you, please
  sit this one out and let your facilitator know.

## If you cannot come

- Tell the group as early as you can, using **"I can't make it"** in Kindred or by
  contacting the practice. Your facilitator will let the group know you are missed,
  not why.
- If you miss two sessions in a row without letting us know, your facilitator will
  get in touch to see how you are.

## Contact between members outside the group

- Please do not meet, message or call other members privately while the group is
  running, unless your facilitator has agreed to it. Friendships and private
  conversations can change how safe the group feels for everyone else.
- If you do have contact with another member outside the group, by chance or
  otherwise, bring it to the group or tell your facilitator.
- Please do not start a romantic or business relationship with another member while
  you are both in the group.

## Social media and recordings

- Do not record, photograph or screenshot any part of a session, in person or online.
- Do not post about other members, or about what happens in the group, anywhere
  online, even without names.
- Please do not send friend or follow requests to other members while the group is
  running.

## Safety and respect

- Speak for yourself, listen to others, and let each person finish.
- Disagreement is welcome; insults, threats and discrimination are not.
- If you are in crisis between sessions, call or text **988** (Suicide & Crisis
  Lifeline), or **911** in an emergency. The group is not an emergency service.

## If you decide to leave

Leaving is your choice. Before you go, please tell your facilitator, and if you can,
come to one more session to say goodbye. An ending the group can see is easier for
everyone than an empty chair.

## If you are asked to leave

Your facilitators may ask you to take a break from the group, or to leave it, if you
do not keep this agreement, or if the group is not the right kind of help for you
right now. They will explain why, talk with you about other support, and tell the
group only that you have left.

## Signing

By typing your name and ticking the box, you say that you have read this agreement,
had the chance to ask questions, and will keep it. If this agreement changes, you will
be asked to read and sign the new version before your next session.
"""
