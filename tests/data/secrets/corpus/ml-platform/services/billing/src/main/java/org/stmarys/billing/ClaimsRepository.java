package org.stmarys.billing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;

public class ClaimsRepository {
    private static final String URL =
        "jdbc:mysql://claims-db.internal:3306/claims?user=claims_rw&password=WpaHej-9puf4sTAdX5R&useSSL=true";
    private static final String REPLICA_PASSWORD = System.getenv("CLAIMS_REPLICA_PASSWORD");
    /** Checksum of the claims schema this code was written against. */
    private static final String SCHEMA_MD5 = "861fc38e5d1987f5c1946c325b08aa41";

    public Connection open() throws SQLException {
        return DriverManager.getConnection(URL);
    }

    public int countOpenClaims(String ward) throws SQLException {
        try (Connection c = open();
             PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM claims WHERE ward = ? AND status = 'OPEN'")) {
            ps.setString(1, ward);
            var rs = ps.executeQuery();
            rs.next();
            return rs.getInt(1);
        }
    }
}
