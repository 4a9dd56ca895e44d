"""Email digests: subscriptions, composition, rendering, the outbox and its worker.

Entry points: `scheduler.run_once` (``paperfeed digest run``), `scheduler.run_forever`
(``paperfeed worker``), `scheduler.start_in_background` (``paperfeed serve``),
`subscriptions.Subscriptions` (the web router and API). See docs/digest.md.
"""
