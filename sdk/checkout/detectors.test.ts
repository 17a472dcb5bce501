import { afterEach, describe, expect, it, vi } from "vitest";
import { e164, watchCheckout } from "./detectors";

describe("e164", () => {
  it.each([
    ["+34 600 11 12 22", "", "+34600111222"],
    ["0034 600-111-222", "", "+34600111222"],
    ["600 11 12 22", "34", "+34600111222"],
    ["(0)6 12 34 56 78", "33", "+33612345678"], // the trunk 0 dropped
    ["347 123 4567", "39", "+393471234567"], // an Italian mobile: no trunk 0 to drop
    ["+1 (415) 555-0100", "34", "+14155550100"], // its own country code wins
    // Trunk prefixes other than 0 (issue 20): Russia's 8, Hungary's 06, Belarus's 80, the NANP's 1.
    ["8 912 345-67-89", "7", "+79123456789"],
    ["912 345-67-89", "7", "+79123456789"],
    ["812 123 45 67", "7", "+78121234567"], // St Petersburg's 812 typed without the trunk: kept
    ["06 30 123 4567", "36", "+36301234567"],
    ["30 123 4567", "36", "+36301234567"],
    ["8 (029) 123-45-67", "375", "+375291234567"],
    ["1 415 555 0100", "1", "+14155550100"],
    ["(415) 555-0100", "1", "+14155550100"],
  ])("%s (country %s) is %s", (typed, country, number) => expect(e164(typed, country)).toBe(number));

  it.each([
    ["600 11 12 22", ""],
    ["hello", "34"],
    ["+0123456789", ""],
    ["+34 600 111 222 333 444", ""],
    ["", "34"],
  ])("%s (country %s) is no number", (typed, country) => expect(e164(typed, country)).toBeUndefined());
});

describe("the checkout's phone field for texts", () => {
  let stop = () => {};
  afterEach(() => {
    stop();
    document.body.innerHTML = "";
  });

  function form() {
    document.body.innerHTML = `<form>
      <input id="tel" type="tel" name="phone" data-cartback-phone="34">
      <label><input id="sms" type="checkbox" data-cartback-sms-consent> Send me a text about my order</label>
    </form>`;
    const identify = vi.fn();
    stop = watchCheckout(() => {}, identify);
    const tel = document.getElementById("tel") as HTMLInputElement;
    const box = document.getElementById("sms") as HTMLInputElement;
    const change = (el: HTMLElement) => el.dispatchEvent(new Event("change", { bubbles: true }));
    return { identify, tel, box, change };
  }

  it("sends the number only once the box is ticked, and withdraws the consent when it is unticked", () => {
    const { identify, tel, box, change } = form();
    tel.value = "600 11 12 22";
    change(tel);
    expect(identify).not.toHaveBeenCalled(); // typed, not agreed to
    box.checked = true;
    change(box);
    expect(identify).toHaveBeenLastCalledWith({ phone: "+34600111222", smsConsent: true });
    tel.value = "611 22 33 44"; // corrected while ticked
    change(tel);
    expect(identify).toHaveBeenLastCalledWith({ phone: "+34611223344", smsConsent: true });
    box.checked = false;
    change(box);
    expect(identify).toHaveBeenLastCalledWith({ smsConsent: false });
    change(box); // unticked again: nothing more to withdraw
    expect(identify).toHaveBeenCalledTimes(3);
  });

  it("a ticked box with no usable number sends nothing, and an untouched box withdraws nothing", () => {
    const { identify, tel, box, change } = form();
    box.checked = true;
    change(box);
    tel.value = "12";
    change(tel);
    box.checked = false;
    change(box);
    expect(identify).not.toHaveBeenCalled();
  });
});
