"""A bare payment page at `web_app_invoice_url`, so a human can pay offline (`make run`)."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from starport.sandbox.cryptopay.emulator import SandboxCryptoPay
from starport.sandbox.cryptopay.errors import ApiError
from starport.sandbox.cryptopay.invoices import SandboxInvoice
from starport.sandbox.cryptopay.wire import form


def routes(sandbox: SandboxCryptoPay) -> list[Route]:
    def find(invoice_hash: str) -> SandboxInvoice | None:
        for invoice in sandbox.api.invoices.values():
            if invoice.hash == invoice_hash:
                return sandbox.invoice(invoice.invoice_id)
        return None

    async def show(request: Request) -> Response:
        invoice = find(request.path_params["hash"])
        if invoice is None:
            return HTMLResponse("<p>No such invoice.</p>", status_code=404)
        return HTMLResponse(render(invoice))

    async def pay(request: Request) -> Response:
        invoice = find(request.path_params["hash"])
        if invoice is None:
            return HTMLResponse("<p>No such invoice.</p>", status_code=404)
        try:
            asset = (await form(request)).get("asset")
            await sandbox.pay(invoice.invoice_id, paid_asset=asset, wait=False)
        except ApiError as error:
            return HTMLResponse(f"<p>{escape(error.name)}</p>", status_code=400)
        return RedirectResponse(invoice.paid_btn_url or str(request.url), status_code=303)

    return [
        Route("/pay/{hash}", show, methods=["GET"]),
        Route("/pay/{hash}", pay, methods=["POST"]),
    ]


def render(invoice: SandboxInvoice) -> str:
    price = f"{invoice.amount} {invoice.fiat or invoice.asset}"
    assets = invoice.accepted_assets or [invoice.asset or ""]
    options = "".join(f"<option>{escape(asset)}</option>" for asset in assets)
    action = (
        f'<form method="post"><select name="asset">{options}</select> '
        f'<button type="submit">Pay {escape(price)}</button></form>'
        if invoice.status == "active"
        else f"<p>Status: <b>{escape(invoice.status)}</b></p>"
    )
    return (
        "<!doctype html><meta charset='utf-8'><title>Sandbox Crypto Pay</title>"
        f"<h1>Invoice {escape(invoice.hash)}</h1>"
        f"<p>{escape(invoice.description or '')}</p><p>{escape(price)}</p>{action}"
        "<p><small>Sandbox Crypto Pay: no real money moves.</small></p>"
    )
