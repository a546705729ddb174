"""Amounts: integer minor units on our side, decimal major units where Flex wants them."""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 currencies whose minor unit is not two digits. Every other active code has two.
_EXPONENT_EXCEPTIONS: dict[str, int] = {
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    "CLF": 4,
    "UYW": 4,
}

ISO_4217_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN
    ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD
    JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF
    XPF YER ZAR ZMW ZWG
    """.split()
)


def exponent(currency: str) -> int:
    """Number of digits after the decimal point in the currency's major unit."""
    if currency not in ISO_4217_CODES:
        raise ValueError(f"unknown ISO 4217 currency {currency!r}")
    return _EXPONENT_EXCEPTIONS.get(currency, 2)


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Minor units to an exact decimal in major units: 1234 USD -> 12.34, 1234 JPY -> 1234."""
    return Decimal(amount_minor).scaleb(-exponent(currency))


def to_minor(amount_major: Decimal, currency: str) -> int:
    """Major units to minor units; refuses amounts finer than the currency's minor unit."""
    scaled = amount_major.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount_major} has more decimals than {currency} allows")
    return int(scaled)
