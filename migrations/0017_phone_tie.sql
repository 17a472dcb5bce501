-- A browser on which a person opened the link of a text sent to a number they gave elsewhere (a
-- shopper known only by that number): the number, so the browser's later batches, its purchase
-- above all, reach that number's person (recovery/person.ts, the `tel:` key), as a browser tied by
-- an email's link reaches the email's. Set once; an email, if the browser has one, still wins.
ALTER TABLE shoppers ADD COLUMN phone_tie TEXT;
