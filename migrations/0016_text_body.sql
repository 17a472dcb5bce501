-- A text as its first delivery wrote it, link and all, before the provider is called: a
-- redelivery (after a crash, or an answer that never came) sends those same words, so the
-- provider's look-up of an attempt whose fate is unknown (worker/sms/twilio.ts, which matches the
-- exact body) finds the message it may have created, and the shopper never gets the text twice.
ALTER TABLE messages ADD COLUMN text_body TEXT;
