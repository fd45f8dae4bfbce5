// The app of the browser tests: the official toolkit forms (web components, unmodified from
// npm) pointed at the mock. No tenant-id attribute on the forms: they take the tenant and the
// base URL of the global Userfront instance initialised here.
import Userfront from "/toolkit.js";
import { mockUrl } from "/config.js";

Userfront.init("demo1234", { baseUrl: `${mockUrl}/v0/` });
window.Userfront = Userfront;
const who = document.getElementById("who");
if (who) who.textContent = Userfront.user?.email || "nobody";
