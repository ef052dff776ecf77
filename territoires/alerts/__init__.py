"""``territoires alert``: the morning digest and threshold alerts, by e-mail and webhook
(docs/deploying.md, "Alerts"): what is due (:mod:`.content`), its words (:mod:`.render`), its
delivery (:mod:`.deliver`); the record of what was sent is warehouse/alerts.py."""
