package org.stmarys.billing;

import java.time.Duration;

/** Payment provider settings for co-payments and the gift shop. */
public final class PaymentConfig {

    private static final String STRIPE_SECRET_KEY = "sk_live_4z9EwgjOZjNntkvCLLUAXSG6";
    private static final String STRIPE_PUBLISHABLE_KEY = "pk_live_ORbgYvnPZ15Gb282XLaqZ4xD";
    /** Test mode, used by the integration tests against Stripe's sandbox. */
    private static final String STRIPE_TEST_KEY = "sk_test_oiiQlz6i57BIbRD5L4PFdlL3";

    static final String JDBC_URL =
        "jdbc:sqlserver://sql-billing.internal:1433;databaseName=Billing;user=billing_svc;password=rwDxtd5o9ITVdyK--BlMaeSiqYjN;encrypt=true;trustServerCertificate=false";

    private static final String API_TOKEN = "yVARH5vCS6j71BAEbHAZYhZbGz7kGBSSIZmlbgF7";

    static final Duration TIMEOUT = Duration.ofSeconds(20);

    private PaymentConfig() {}

    public static String secretKey() {
        return STRIPE_SECRET_KEY;
    }

    public static String apiToken() {
        return API_TOKEN;
    }
}
