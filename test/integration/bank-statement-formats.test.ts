import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBillingPeriod } from "../../shared/core/period.js";
import { issueInvoiceForAccount } from "../../shared/invoicing/invoices.js";
import { type ImportedRow, importBankStatement } from "../../shared/payments/providers/bank.js";
import { createClients } from "../../shared/platform/clients.js";
import { sellerConfig } from "../../shared/platform/config.js";
import { verifyLedgerInvariants } from "../../shared/reporting/invariants.js";
import { putAccount } from "../../shared/store/accounts.js";
import { getInvoice, listPayments } from "../../shared/store/records.js";
import { testAccount } from "../support/accounts.js";
import { startTestStack } from "../support/embedded.js";

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let stack: Stack;
let table: { ddb: ReturnType<typeof createClients>["ddb"]; tableName: string };
const numbers: Record<string, string> = {};
const sample = (name: string) => readFileSync(new URL(`../fixtures/bank/${name}`, import.meta.url), "utf8");

beforeAll(async () => {
	stack = await startTestStack("bank-formats", { http: false });
	const clients = createClients();
	table = { ddb: clients.ddb, tableName: stack.tableName };
	const deps = { ...clients, tableName: stack.tableName, bucketName: stack.bucketName, seller: sellerConfig() };
	const october = resolveBillingPeriod({ period: "2026-10", asOf: "2026-11-01" }, new Date("2026-11-01"));
	for (const [id, currency, unitAmount] of [
		["F1", "EUR", 885],
		["F2", "EUR", 1050],
		["F3", "USD", 500000],
	] as const) {
		await putAccount(
			table,
			testAccount(`ACC-${id}`, {
				name: `Formats ${id} Ltd`,
				email: `ap+${stack.tag}@example.com`,
				currency,
				addressLines: [],
				plan: { code: "p", description: "Plan", unitAmount, quantity: 1 },
				createdAt: new Date().toISOString(),
			}),
		);
		const issued = await issueInvoiceForAccount(deps, `ACC-${id}`, october);
		if (issued.outcome === "nothing_to_bill") throw new Error("expected an invoice");
		numbers[id] = issued.invoiceNumber;
	}
}, 60_000);

afterAll(async () => {
	expect((await verifyLedgerInvariants(table)).violations).toEqual([]);
	await stack?.stop();
});

/** What a person checks per entry: where, amount in minor units, currency, booking date, reference, outcome. */
const rowsOf = (rows: ImportedRow[]) => rows.map((r) => [r.entry, r.amount, r.currency, r.date, r.reference, r.outcome.result]);

// Every entry of every published sample, as imported (none names an invoice of this ledger, so credits stay unapplied).
const expected: Record<string, unknown[][]> = {
	"camt053/genkgo-camt053.v2.minimal.xml": [["Ntry 1", 885, "EUR", "2014-12-31", "4654654654654654", "unapplied"]],
	"camt053/genkgo-camt053.v3.xml": [["Ntry 1", 885, "EUR", "2014-12-31", "4654654654654654", "unapplied"]],
	"camt053/genkgo-camt053.v4.xml": [["Ntry 1", 885, "EUR", "2014-12-31", "4654654654654654", "unapplied"]],
	// v8 repeats v4's entry with the same AcctSvcrRef: the bank's id says it is the payment already recorded.
	"camt053/genkgo-camt053.v8.xml": [["Ntry 1", 885, "EUR", "2014-12-31", "4654654654654654", "duplicate_event"]],
	"mt940/betterplace-sepa_snippet.sta": [
		["Stmt 1 :61: 1 (line 5)", 5099005, "EUR", "2007-09-04", "Verw CTSc-01 BC-PPP TFNr 22 004 EndToEndId TFNR 22 004 00001", "unapplied"],
		["Stmt 1 :61: 2 (line 10)", 15455193, "EUR", "2007-09-04", "Strukturierter Verwendungszweck 30030004 DE TFNR 0300300004", "unapplied"],
		["Stmt 1 :61: 3 (line 15)", 15455193, "EUR", "2007-09-04", "Strukturierter Verwendungszweck 50050004 DE TFNR 0500500004", "unapplied"],
		[
			"Stmt 1 :61: 4 (line 19)",
			150000,
			"EUR",
			"2007-09-04",
			"TFNr 01022 MSGID CTSc-01 EBBMTLG:SEPA-Ueberweisungsauftrag Datei mit 0000001 Zahlungen KREF+",
			"skipped_debit",
		],
		[
			"Stmt 2 :61: 1 (line 29)",
			8,
			"EUR",
			"2007-09-04",
			"TFNR 40001 00005MTLG:Grund nicht spezifiziert Reject aus SEPA-Ueberweisungsauftrag TFNr 40001 MSGID",
			"skipped_reversal",
		],
		[
			"Stmt 2 :61: 2 (line 32)",
			33533,
			"EUR",
			"2007-09-04",
			"TFNR 44001 00001MTLG:Grund nicht spezifiziert Reject aus SEPA-Ueberweisungsauftrag TFNr 44001 MSGID",
			"skipped_reversal",
		],
		[
			"Stmt 2 :61: 3 (line 35)",
			1500000,
			"EUR",
			"2007-09-04",
			"TFNR 40001 00002MTLG:Grund nicht spezifiziert Reject aus SEPA-Ueberweisungsauftrag TFNr 40001 MSGID",
			"skipped_reversal",
		],
		[
			"Stmt 2 :61: 4 (line 38)",
			1500005,
			"EUR",
			"2007-09-04",
			"TO 13 TFNr 20001 Eingangskanal Mint Unstrukturierter Verwendungszweck 140 Zeichen Beginn Fuellzeichen xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx EndToEndIdTFNR2000100001",
			"unapplied",
		],
		["Stmt 2 :61: 5 (line 45)", 12500488, "EUR", "2007-09-04", "TO13 TF20005 MINT", "unapplied"],
		[
			"Stmt 2 :61: 6 (line 50)",
			91531155,
			"EUR",
			"2007-09-04",
			"TFNR 44001 00002MTLG:IBAN ungueltig Rueckueberweisung aus SEPA-Ueberweisungsauftrag TFNr 44001 MSGID",
			"skipped_reversal",
		],
		["Stmt 2 :61: 7 (line 53)", 357256903, "EUR", "2007-09-04", "0904059001", "skipped_debit"],
	],
	"mt940/jejik-abnamro.sta": [
		[
			"Stmt 1 :61: 1 (line 8)",
			900,
			"EUR",
			"2011-05-24",
			"GIRO   428428 KPN - DIGITENNE    BETALINGSKENM.  000000042188659 5314606715                       BETREFT FACTUUR D.D. 20-05-2011 INCL. 1,44 BTW",
			"skipped_debit",
		],
		[
			"Stmt 1 :61: 2 (line 12)",
			1159,
			"EUR",
			"2011-05-23",
			"BEA   NR:XXX1234   21.05.11/12.54 DIRCKIII FIL2500 KATWIJK,PAS999",
			"skipped_debit",
		],
		[
			"Stmt 1 :61: 3 (line 14)",
			1163,
			"EUR",
			"2011-05-23",
			"BEA   NR:XXX1234   23.05.11/09.08 DIGROS FIL1015 KATWIJK Z,PAS999",
			"skipped_debit",
		],
		[
			"Stmt 1 :61: 4 (line 16)",
			1180,
			"EUR",
			"2011-05-23",
			"BEA   NR:XXX1234   22.05.11/14.25 MC DONALDS A44 LEIDEN,PAS999",
			"skipped_debit",
		],
		[
			"Stmt 1 :61: 5 (line 18)",
			1345,
			"EUR",
			"2011-05-23",
			"BEA   NR:XXX1234   21.05.11/12.09 PRINCE FIL. 55 KATWIJK Z,PAS999",
			"skipped_debit",
		],
		[
			"Stmt 1 :61: 6 (line 20)",
			1549,
			"EUR",
			"2011-05-23",
			"BEA   NR:XXX1234   21.05.11/12.55 DIRX FIL6017 KATWIJK ZH ,PAS999",
			"skipped_debit",
		],
		[
			"Stmt 1 :61: 7 (line 23)",
			10700,
			"EUR",
			"2011-05-23",
			"BEA   NR:XXX1234   21.05.11/12.04 HANS ANDERS OPT./056 KAT,PAS999",
			"skipped_debit",
		],
		[
			"Stmt 1 :61: 8 (line 25)",
			14148,
			"EUR",
			"2011-05-23",
			"BEA   NR:XXX1234   22.05.11/13.45 MYCOM DEN HAAG  S-GRAVEN,PAS999",
			"skipped_debit",
		],
		[
			"Stmt 2 :61: 1 (line 36)",
			949,
			"EUR",
			"2011-05-24",
			"BEA   NR:XXX1234   24.05.11/09.18 PETS PLACE KATWIJK KATWI,PAS999",
			"skipped_debit",
		],
		["Stmt 2 :61: 2 (line 38)", 1500, "EUR", "2011-05-24", "52.89.39.882                    MYCOM DEN HAAG", "skipped_debit"],
	],
	"mt940/jejik-rabobank-iban.sta": [
		["Stmt 1 :61: 1 (line 6)", 2500, "EUR", "2013-01-01", "01-01-2013 12:00 0030000987654321 EREF NL70ABNA0987654321", "skipped_debit"],
		["Stmt 1 :61: 2 (line 10)", 1000, "EUR", "2013-01-02", "Reference 201301234 P001234567", "skipped_debit"],
		["Stmt 2 :61: 1 (line 18)", 2500, "EUR", "2013-01-08", "08-01-2013 12:00 0030000987654321 EREF NL70ABNA0987654321", "skipped_debit"],
		["Stmt 2 :61: 2 (line 22)", 1000, "EUR", "2013-01-09", "Reference 201301234 P001234567", "skipped_debit"],
	],
	"mt940/zilverline-abn_structured_sepa_overboeking.txt": [["Stmt 1 :61: 1 (line 8)", 1050, "EUR", "2015-01-20", "897789005", "unapplied"]],
	"bai2/moov-sample1.txt": [
		["line 5 (16)", 2500, "CAD", "2006-03-17", "RETURNED CHEQUE", "skipped_debit"],
		["line 6 (16)", 90000, "CAD", "2006-03-17", "RTN-UNKNOWN", "skipped_debit"],
		["line 7 (16)", 500, "CAD", "2006-03-17", "RTD CHQ SERVICE CHRG", "skipped_debit"],
		["line 8 (16)", 203500, "CAD", "2006-03-17", "TFR 1020 0345678", "unapplied"],
		["line 9 (16)", 2500, "CAD", "2006-03-17", "MACLEOD MALL", "unapplied"],
		["line 10 (16)", 2500, "CAD", "2006-03-17", "MASCOUCHE QUE", "unapplied"],
		["line 11 (16)", 20000, "CAD", "2006-03-17", "1000 ISLANDS MALL", "skipped_debit"],
		["line 12 (16)", 90000, "CAD", "2006-03-17", "PENHORA MALL", "skipped_debit"],
		["line 13 (16)", 2000, "CAD", "2006-03-17", "CAPILANO MALL", "skipped_debit"],
		["line 14 (16)", 2500, "CAD", "2006-03-17", "GALERIES LA CAPITALE", "skipped_debit"],
		["line 15 (16)", 1000, "CAD", "2006-03-17", "PLAZA ROCK FOREST", "skipped_debit"],
		["line 19 (16)", 11500, "CAD", "2006-03-17", "TFR 1020 0345678", "unapplied"],
		["line 20 (16)", 100000, "CAD", "2006-03-17", "MONTREAL", "unapplied"],
		["line 21 (16)", 100000, "CAD", "2006-03-17", "GRANDFALL NB", "skipped_debit"],
		["line 22 (16)", 9000, "CAD", "2006-03-17", "HAMILTON ON", "skipped_debit"],
		["line 23 (16)", 2000, "CAD", "2006-03-17", "WOODSTOCK NB", "skipped_debit"],
		["line 24 (16)", 500, "CAD", "2006-03-17", "GALERIES RICHELIEU", "skipped_debit"],
	],
	"bai2/moov-sample2.txt": [
		["line 5 (16)", 450000, "USD", "2004-06-20", "", "unapplied"],
		["line 10 (16)", 500000, "USD", "2004-06-20", "LOCK BOX NO.68751", "unapplied"],
		["line 16 (16)", 20000000, "USD", "2004-06-20", "YRC065321 PROCEEDS OF LETTER OF CREDIT FROM THE ARAMCO OIL CO", "unapplied"],
		["line 18 (16)", 10000000, "USD", "2004-06-20", "", "unapplied"],
	],
	"bai2/moov-sample4-continuations-newline-delimited.txt": [
		[
			"line 6 (16)",
			60000,
			"USD",
			"2023-09-06",
			"1111 ACH Credit Payment,Entry Description: EXP; -, SEC: CCD, Client Ref ID: 1111, GS ID: SPB2322984714570 EREF: 1111 DBNM: TEST INC CACT: ACHCONTROLOUTUSD01",
			"skipped_debit",
		],
		[
			"line 10 (16)",
			143500,
			"USD",
			"2023-09-06",
			'GSQ4FBGFDGWGKY ACH Credit Reject,From: TEST INC, Remittance Info: "ACH- Test - Addenda Record", Entry Description: TRADE; -, SEC: CTX, Client Ref ID: GSQ4FBGFDGWGKY, GS ID: SB2322600000404 CREF: REMI: ACH- Test - Addenda Record EREF: GSQ4FBGFDGWGKY CRNM: Test DBNM: SAMPLE INC DACT: 101152046 DABA: 026015079',
			"unapplied",
		],
		[
			"line 18 (16)",
			928650,
			"USD",
			"2023-09-06",
			"AB-GS-RPFILERP0001-RPBA0001 ACH Credit Payment,Entry Description: TRADE; -, SEC: CTX, Client Ref ID: AB-GS-TEST0001-RPBA0001, GS ID: SPB2322684598521 EREF: AB-GS-RPFILERP0001-RPBA0001 DBNM: SAMPLE INC CACT: ACHCONTROLOUTUSD01",
			"skipped_debit",
		],
		[
			"line 24 (16)",
			200000,
			"USD",
			"2023-09-06",
			'021000080000030 ACH Credit Receipt Return,Return To: Test, Remittance Info: "SB2322300000052", Entry Description: EXP; -, SEC: CCD, Reason: "R02", Return of Client Ref ID: 021000080000030, GS ID: SB2322600000214 CREF: 026015076104300 IDNM: 1114 EREF: 021000080000030 CRNM: Test DBNM: SAMPLE INC. CABA: 021000089',
			"skipped_debit",
		],
		[
			"line 31 (16)",
			55555,
			"USD",
			"2023-09-06",
			"021000020000021 ACH Debit Payment,To: TEST, Entry Description: INVOICES; 210630, SEC: CCD, Client Ref ID: 021000020000021, GS ID: SB2322600000455 CREF: 021000020000021 IDNM: 2009282 EREF: 021000020000021 CRNM: TEST DBNM: SAMPLE INC CABA: 021000021",
			"skipped_debit",
		],
		[
			"line 38 (16)",
			1912,
			"USD",
			"2023-09-06",
			"20210706MMQFMPU8000001 Outgoing Wire Return,- CREF: 20210706MMQFMPU8000001 EREF: 20210706MMQFMPU8000001 DBIC: GSCRUS33 CRNM: ABC Company DBNM: SAMPLE INC.",
			"unapplied",
		],
		[
			"line 44 (16)",
			50500,
			"USD",
			"2023-09-06",
			'GSV0DL6RKT Outgoing Wire,To: TEST COMPANY, Remittance Info: "QWERTIOP", Client Ref ID: GSV0DL6RKT, GS ID: GI2321400000090, Settled Amt: EUR 322.00, FX Rate: 156.833677 REMI: QWERTIOP EREF: GSV0DL6RKT CBIC: COBADEFF CRNM: TEST COMPANY DBNM: SAMPLE TEST',
			"skipped_debit",
		],
		[
			"line 50 (16)",
			1125,
			"USD",
			"2023-09-06",
			"GS0D9VGMP1IWPLW Incoming Wire,- EREF: GS0D9VGMP1IWPLW DBIC: CITIUS30XXX CRNM: ABC CORPORATION DACT: 8348572423 CHKN: GSIL2X6103UNCRSF",
			"unapplied",
		],
		[
			"line 56 (16)",
			60000,
			"USD",
			"2023-09-06",
			'028000020000335 ACH Debit Payment Return,Return From: Company1, Entry Description: TRADE; -, SEC: CCD, Reason: "R02", Return of Client Ref ID: 028000020000335, GS ID: SB2225800001203 IDNM: 1 EREF: 028000020000335 CRNM: TEST INC DBNM: Company1 DABA: 028000024',
			"unapplied",
		],
		[
			"line 62 (16)",
			931,
			"USD",
			"2023-09-06",
			'Check Return,Return From: Test2 Customer, Check Serial Number: 0009000000, Return Reason: "Payee does not exist", Client Ref ID: 74564762445, GS ID: SC213480000120999 EREF: 07370568132 CRNM: Test Inc. DBNM: Test2 Customer CABA: 12345 CHKN: 0009000000',
			"unapplied",
		],
		[
			"line 68 (16)",
			50050,
			"USD",
			"2023-09-06",
			'RTR60880840833 RTP Incoming,From: SAMPLE INC, Remittance Info: "Test Remittance", Client Ref ID: RTR60880840833, GS ID: GI2228400005800, Clearing Ref: 001 REMI: Test Remittance EREF: RTR60880840833 CRNM: RTR-CdtrName DBNM: SAMPLE INC DACT: 02122056789012205 DABA: 000000010',
			"unapplied",
		],
		["line 75 (16)", 527, "USD", "2023-09-06", "GS4N04L1COP45VY Check Deposit,- EREF: GS4N04L1COP45VY DACT: 100168723", "unapplied"],
		[
			"line 78 (16)",
			10100,
			"USD",
			"2023-09-06",
			"01030340329 Check Paid,- REMI: UAT testing for Checks EREF: 01030340329 CRNM: TEST INC DBNM: ABC CORP CABA: 12345 CHKN: 006034594478",
			"skipped_debit",
		],
		[
			"line 85 (16)",
			337686,
			"USD",
			"2023-09-06",
			'e457328416d411eeaf020a58a9feac02 Cash Concentration,From: SAMPLE INC, Account: 290000020437, GS Cash Concentration, "Structure ID: CC0000000", GS ID: GI2318000212121 REMI: Structure ID: CC0000082 EREF: e123456786d411eeaf020a58a9feac02 DBIC: GSCRUS33VIA CRNM: SAMPLE INC DBNM: SAMPLE INC DACT: 290000020437',
			"unapplied",
		],
		[
			"line 92 (16)",
			5000,
			"USD",
			"2023-09-06",
			"AB-GS-DDFILEAB0001-DDBAB0001 ACH Debit Collection,Entry Description: BILL PMT; -, SEC: CCD, Client Ref ID: AB-GS-DDFILEAB0001-DDBAB0001, GS ID: SPB2321284264201 EREF: AB-GS-DDFILEAB0001-DDBAB0001 CRNM: SAMPLE LLP DACT: ACHCONTROLINUSD01",
			"unapplied",
		],
		[
			"line 96 (16)",
			44250,
			"USD",
			"2023-09-06",
			"8ce1829175a74ec88d67010dd7fb6132 Check Paid,To: TEST AND COMPANY LLC, Check Serial Number: 24108, GS ID: SC2323300002416 EREF: 8ce1829175a74ec88d67010dd7fb6132 CRNM: TEST AND COMPANY LLC DBNM: Sample Inc. CABA: 0 CHKN: 24108",
			"skipped_debit",
		],
		[
			"line 102 (16)",
			30000000,
			"USD",
			"2023-09-06",
			'3785726 Outgoing Wire,To: TEST AND COMPANY, Remittance Info: "081823 Invoice - Sample", Client Ref ID: 3785726, GS ID: GI2323300009168, Clearing Ref: 20230821MMQFMPU7004100 CREF: 20230821MMQFMPU7004100 REMI: 081823 Invoice - Sample EREF: 3785726 CRNM: TEST AND COMPANY DBNM: Sample Inc. CACT: 609873838 CABA: 021000021',
			"skipped_debit",
		],
	],
};

describe("billing payments import of published camt.053, MT940 and BAI2 samples", () => {
	it("imports every sample: credits recorded (unapplied, with the reason), everything else skipped saying why, nothing twice", async () => {
		for (const [name, rows] of Object.entries(expected)) {
			const before = await listPayments(table);
			const imported = await importBankStatement(table, sample(name));
			expect(rowsOf(imported), name).toEqual(rows);
			for (const row of imported) {
				if (row.outcome.result.startsWith("skipped_"))
					expect("reason" in row.outcome && row.outcome.reason, name).toMatch(/not a payment received/);
				if (row.outcome.result === "unapplied")
					expect(row.outcome).toMatchObject({ unappliedReason: expect.stringMatching(/neither an invoice/) });
			}
			const recorded = (await listPayments(table)).filter((p) => !before.some((b) => b.paymentId === p.paymentId));
			const credits = imported.filter((r) => r.outcome.result === "unapplied");
			expect(recorded.map((p) => [p.provider, p.amount, p.currency, p.status, p.unappliedAmount]).sort(), name).toEqual(
				credits.map((r) => ["bank", r.amount, r.currency, "unapplied", r.amount]).sort(),
			);

			const again = await importBankStatement(table, sample(name));
			expect(
				again.map((r) => r.outcome.result),
				name,
			).toEqual(rows.map((r) => (r[5] === "unapplied" ? "duplicate_event" : r[5])));
			expect(await listPayments(table), name).toHaveLength(before.length + recorded.length);
		}
	});

	it("applies a credit whose reference names the invoice, in each format", async () => {
		const camt = sample("camt053/genkgo-camt053.v8.xml").replace("<Ref>4654654654654654</Ref>", `<Ref>${numbers.F1}</Ref>`);
		const mt940 = sample("mt940/zilverline-abn_structured_sepa_overboeking.txt").replace("/REMI/897789005/", `/REMI/${numbers.F2}/`);
		const bai2 = sample("bai2/moov-sample2.txt").replace("LOCK BOX NO.68751", `LOCK BOX ${numbers.F3}`);
		// The bank's reference of the camt.053 sample was imported above: this entry is the same payment to the bank.
		const camtRows = await importBankStatement(table, camt.replaceAll("AAAASESS-FP-CN_98765/01", "AAAASESS-FP-CN_98765/02"));
		expect(rowsOf(camtRows)).toEqual([["Ntry 1", 885, "EUR", "2014-12-31", numbers.F1, "applied"]]);
		expect(rowsOf(await importBankStatement(table, mt940))).toEqual([
			["Stmt 1 :61: 1 (line 8)", 1050, "EUR", "2015-01-20", numbers.F2, "applied"],
		]);
		const baiRows = await importBankStatement(table, bai2);
		expect(baiRows.find((r) => r.entry === "line 10 (16)")).toMatchObject({
			amount: 500000,
			currency: "USD",
			date: "2004-06-20",
			outcome: { result: "applied", invoiceNumbers: [numbers.F3] },
		});
		for (const id of ["F1", "F2", "F3"]) {
			expect(await getInvoice(table, numbers[id] as string)).toMatchObject({ status: "paid", amountDue: 0 });
		}
	});
});
